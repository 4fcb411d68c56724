// "Spark job" 3: trips and average fare per hour of pickup (runs in parallel with job 1).
// Usage: trips-per-hour.mjs <trips.csv> <output dir> [--overwrite]
import { log, readCsv, writeOutput } from "./csv.mjs";

const [input, output] = process.argv.slice(2);
const overwrite = process.argv.includes("--overwrite");
log("INFO", `reading ${input}`);
const trips = readCsv(input);
const hours = Array.from({ length: 24 }, () => ({ trips: 0, fare: 0 }));
for (const trip of trips) {
  const hour = Number(trip.tpep_pickup_datetime.slice(11, 13));
  hours[hour].trips++;
  hours[hour].fare += Number(trip.fare_amount);
}
const rows = hours.map((h, hour) => ({
  hour: String(hour).padStart(2, "0"),
  trips: h.trips,
  avg_fare: h.trips ? (h.fare / h.trips).toFixed(2) : "0.00",
}));
const busiest = rows.reduce((a, b) => (b.trips > a.trips ? b : a));
log("INFO", `busiest hour ${busiest.hour}:00 with ${busiest.trips} trips`);
writeOutput(output, rows, overwrite);
