export {
  type RunningVirtualPrinter,
  start,
  startVirtualPrinter,
  type VirtualPrinterOptions,
  type VirtualPrinterState,
  type VirtualPrintJob,
} from "./services/virtual-printer.js";
