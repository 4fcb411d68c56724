// "Spark job" 2: names each rate code and classifies it by its share of trips — the spark-etl-local example's job.
// Usage: rate-code-status.mjs <miles-per-rate-code output dir> <output dir> [--overwrite]
import "../../spark-etl-local/jobs/rate-code-status.mjs";
