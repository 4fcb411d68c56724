// "Spark job" 1: total and average trip miles per RatecodeID.
// Usage: miles-per-rate-code.mjs <trips.csv> <output dir> [--overwrite]
import { log, readCsv, writeOutput } from "./csv.mjs";

const [input, output] = process.argv.slice(2);
const overwrite = process.argv.includes("--overwrite");
log("INFO", `reading ${input}`);
const trips = readCsv(input);
log("INFO", `read ${trips.length} trips`);
const groups = new Map();
for (const trip of trips) {
  const code = trip.RatecodeID;
  const group = groups.get(code) ?? { trips: 0, miles: 0, fare: 0 };
  group.trips++;
  group.miles += Number(trip.trip_distance);
  group.fare += Number(trip.fare_amount);
  groups.set(code, group);
}
const rows = [...groups]
  .sort(([a], [b]) => Number(a) - Number(b))
  .map(([code, g]) => ({
    RatecodeID: code,
    trips: g.trips,
    total_miles: g.miles.toFixed(1),
    avg_miles: (g.miles / g.trips).toFixed(2),
    avg_fare: (g.fare / g.trips).toFixed(2),
  }));
for (const row of rows)
  log("INFO", `rate code ${row.RatecodeID}: ${row.trips} trips, ${row.total_miles} miles`);
writeOutput(output, rows, overwrite);
