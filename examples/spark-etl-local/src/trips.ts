// NYC-taxi-like trips for the Spark ETL examples (spark-etl-local and spark-etl-stepfunctions).

// Deterministic input: a seeded PRNG (mulberry32) so every run writes the same trips.
export function trips(count: number, seed: number): string {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const codes = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4, 5, 5, 6, 99];
  const lines = [
    "VendorID,tpep_pickup_datetime,passenger_count,trip_distance,RatecodeID,fare_amount",
  ];
  for (let i = 0; i < count; i++) {
    const code = codes[Math.floor(random() * codes.length)]!;
    const miles =
      code === 2 ? 15 + random() * 8 : code === 3 ? 16 + random() * 10 : 0.3 + random() * 6;
    const fare = code === 2 ? 70 : 3 + miles * 2.5 + random() * 4;
    const minute = Math.floor(random() * 60 * 24 * 28);
    const pickup = new Date(Date.UTC(2024, 0, 1) + minute * 60_000).toISOString().slice(0, 19);
    lines.push(
      `${1 + Math.floor(random() * 2)},${pickup},${1 + Math.floor(random() * 4)},${miles.toFixed(2)},${code},${fare.toFixed(2)}`,
    );
  }
  return `${lines.join("\n")}\n`;
}
