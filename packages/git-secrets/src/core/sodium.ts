import type * as SodiumModule from "libsodium-wrappers-sumo";

/** The libsodium API as libsodium-wrappers-sumo exports it. */
export type Sodium = typeof SodiumModule;

let loading: Promise<Sodium> | undefined;

/**
 * Loads libsodium on first use. It is imported lazily so commands that never encrypt
 * (`status`, `ls`) start without paying for the WebAssembly module.
 */
export function loadSodium(): Promise<Sodium> {
  loading ??= (async () => {
    const mod = (await import("libsodium-wrappers-sumo")) as Sodium & { default?: Sodium };
    const sodium = mod.default ?? mod;
    await sodium.ready;
    return sodium;
  })();
  return loading;
}
