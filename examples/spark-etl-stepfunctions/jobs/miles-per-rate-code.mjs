// "Spark job" 1: total and average trip miles per RatecodeID — the spark-etl-local example's job.
// Usage: miles-per-rate-code.mjs <trips.csv> <output dir> [--overwrite]
import "../../spark-etl-local/jobs/miles-per-rate-code.mjs";
