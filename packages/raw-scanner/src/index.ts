export { type BannerOptions, classifyBanner, grabBanner } from "./adapters/banners.js";
export { type ConnectCallback, type ConnectLayer, Connector } from "./adapters/connect.js";
export { type OsPortsIo, readEphemeralRange } from "./adapters/os-ports.js";
export { OutputSink, writeOutputFile } from "./adapters/output-file.js";
export { Blackrock } from "./core/blackrock.js";
export {
  applyOption,
  type ConfigSource,
  canonicalOption,
  emptyConfig,
  formatEcho,
  isKnownOption,
  KNOWN_OPTIONS,
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
  ScanRecord,
  StatusRecord,
} from "./core/output/records.js";
export {
  createWriter,
  cTime,
  type OutputChunk,
  type OutputWriter,
  recordsOf,
} from "./core/output/writers.js";
export { BigRangeList, RangeList } from "./core/ranges.js";
export { TokenBucket, type TokenBucketOptions } from "./core/rate.js";
export type { Banner, PortStatus, ScanResult, TlsInfo } from "./core/result.js";
export { type SipKey, sipHash24, sipHash24Big, sipKey, sipOut } from "./core/siphash.js";
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
export {
  RawScannerError,
  type RawScannerErrorCode,
  type RawScannerErrorDetails,
} from "./errors.js";
export {
  type BackendChoice,
  chooseBackend,
  loadNative,
  type NativeBinding,
  type NativeLoadResult,
  platformTag,
} from "./native.js";
export {
  parseShard,
  type ScanLogger,
  type ScanOptions,
  type ScanProgress,
  type ScanRun,
  type ScanTransport,
  scan,
} from "./scanner.js";
