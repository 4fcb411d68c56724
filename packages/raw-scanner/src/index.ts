export { type BannerOptions, classifyBanner, grabBanner } from "./adapters/banners.js";
export { type ConnectCallback, type ConnectLayer, Connector } from "./adapters/connect.js";
export {
  type ApplyFirewallOptions,
  type ApplyFirewallResult,
  applyFirewall,
  type CommandRunner,
  type FirewallCommands,
  type FirewallTool,
  firewallCommands,
  RESERVED_PORTS_PATH,
  withoutReserved,
  withReserved,
} from "./adapters/firewall.js";
export {
  checkAddon,
  loadNative,
  NATIVE_ABI_VERSION,
  type NativeAddon,
  type NativeHandle,
  type NativeLoad,
  type NativeStats,
  nativeCandidates,
  platformTriple,
} from "./adapters/native.js";
export { type OsPortsIo, readEphemeralRange } from "./adapters/os-ports.js";
export { OutputSink, writeOutputFile } from "./adapters/output-file.js";
export { RawTransport, type RawTransportOptions } from "./adapters/raw-transport.js";
export { Blackrock } from "./core/blackrock.js";
export {
  type ConfigSource,
  formatEcho,
  parseConfig,
  type RawScanConfig,
  suggestOption,
} from "./core/config.js";
export {
  type CookieProbe,
  checkSourcePortRange,
  parseSourcePortRange,
  type SourcePortRange,
  SynCookies,
} from "./core/cookies.js";
export {
  formatIp,
  formatIpv4,
  formatIpv6,
  type IpAddress,
  parseIp,
  parseIpv4,
  parseIpv6,
} from "./core/ip.js";
export { detectFormat, mergeRecords, readScan } from "./core/output/readers.js";
export type {
  BannerRecord,
  OutputFormat,
  OutputMeta,
  ScannerInfo,
  ScanRecord,
  StatusRecord,
} from "./core/output/records.js";
export {
  createWriter,
  type OutputChunk,
  type OutputWriter,
  recordsOf,
} from "./core/output/writers.js";
export { BigRangeList, RangeList } from "./core/ranges.js";
export { TokenBucket, type TokenBucketOptions } from "./core/rate.js";
export type { Banner, PortStatus, ScanResult, TlsInfo } from "./core/result.js";
export { type SipKey, sipHash24Big, sipKey } from "./core/siphash.js";
export {
  type EphemeralRange,
  type FirewallRules,
  firewallRules,
  overlaps,
  overlapWarning,
  suggestSourcePorts,
} from "./core/source-ports.js";
export {
  type AddressRanges,
  parsePorts,
  parseTarget,
  parseTargets,
  RESERVED_BLOCKS,
  type ReservedBlock,
  TargetSpace,
  type TargetSpaceOptions,
} from "./core/targets.js";
export { topTcpPorts } from "./core/top-ports.js";
export {
  isRawScannerError,
  RAW_SCANNER_ERROR_CODES,
  RawScannerError,
  type RawScannerErrorCode,
  type RawScannerErrorDetails,
} from "./errors.js";
export type { Logger } from "./logger.js";
export {
  BACKEND_ENV,
  checkWholeInternet,
  chooseBackend,
  type PlannedBackend,
  parseShard,
  type ScanBannerOptions,
  type ScanOptions,
  type ScanProgressEvent,
  type ScanTransport,
  type TaggedOutcome,
  type TransportLayer,
  validateScanOptions,
} from "./scan/options.js";
export { type ScanBackend, type ScanRun, scan } from "./scan/run.js";
