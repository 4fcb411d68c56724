export {
  type RunningVirtualPrinter,
  startVirtualPrinter,
  type VirtualPrinterOptions,
  type VirtualPrintJob,
} from "./services/virtual-printer.js";
