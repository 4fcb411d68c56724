import type { ConnectLayer } from "./connect.js";

/** Code a worker reports for a probe that timed out (errno values are negative, open is 0). */
export const WORKER_TIMEOUT = 1;
/** Code a worker reports for a connect that reached its own socket (see `SELF_CONNECT`). */
export const WORKER_SELF_CONNECT = 2;

/** What a worker is started with. */
export interface WorkerData {
  /** Marks the thread as a connect worker (the module does nothing when merely imported). */
  rawScannerConnectWorker: true;
  timeoutMs: number;
  /** Connects this worker keeps open at most. */
  limit: number;
}

/** Probes sent to a worker, as parallel arrays (typed arrays are transferred, not copied). */
export interface WorkerBatch {
  ids: Int32Array;
  addrs: string[];
  ports: Uint16Array;
  fams: Uint8Array;
}

/** What a worker sends back: first its socket layer, then batches of outcomes. */
export type WorkerMessage = { layer: ConnectLayer } | { ids: Int32Array; codes: Int32Array };
