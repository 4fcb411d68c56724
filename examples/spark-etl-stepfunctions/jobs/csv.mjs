// The CSV and Spark-output helpers of the spark-etl-local example, shared by these job scripts.
export * from "../../spark-etl-local/jobs/csv.mjs";
