/** An error the emulated service answers with (`__type` on the wire). */
export class ServiceException extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = type;
  }
}
