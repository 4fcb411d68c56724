// "Spark job" 2: names each rate code and classifies it by its share of trips.
// Usage: rate-code-status.mjs <miles-per-rate-code output dir> <output dir> [--overwrite]
import { log, readOutput, writeOutput } from "./csv.mjs";

const NAMES = {
  1: "Standard rate",
  2: "JFK",
  3: "Newark",
  4: "Nassau or Westchester",
  5: "Negotiated fare",
  6: "Group ride",
  99: "Unknown",
};
const [input, output] = process.argv.slice(2);
const overwrite = process.argv.includes("--overwrite");
const rows = readOutput(input);
const total = rows.reduce((sum, row) => sum + Number(row.trips), 0);
log("INFO", `classifying ${rows.length} rate codes over ${total} trips`);
const result = rows.map((row) => {
  const share = Number(row.trips) / total;
  const known = row.RatecodeID in NAMES && row.RatecodeID !== "99";
  return {
    RatecodeID: row.RatecodeID,
    name: NAMES[row.RatecodeID] ?? "Invalid",
    trips: row.trips,
    share: `${(share * 100).toFixed(1)}%`,
    avg_miles: row.avg_miles,
    status: !known ? "check data" : share > 0.5 ? "dominant" : share > 0.02 ? "common" : "rare",
  };
});
writeOutput(output, result, overwrite);
