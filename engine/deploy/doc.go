// Package deploy renders one planned run (engine.RunPlan with the
// dsl.Config it came from) as a deployment for a real scheduler, so the
// workers run where the platform already schedules containers:
//
//   - Kubernetes: a ConfigMap with the scenario files, the orchestrator as
//     a Job (`fbctl apply -workers external -run-id ID`) and the workers as
//     an Indexed Job (`fbctl worker -run ID`), parallelism = completions =
//     the plan's workers, no retries per index, a pod failure policy;
//   - Snowpark Container Services: the service specifications and the SQL
//     that runs them (`EXECUTE JOB SERVICE … REPLICAS = N`), with the
//     compute pool the workers need and the stage that holds the files.
//
// Secrets are only ever referenced: every environment variable the files
// read with env() comes from a Kubernetes Secret (secretKeyRef) or a
// Snowflake secret object, and a rendering that would carry a secret value
// is refused.
//
// Files:
//
//	deploy.go           Options, Rendering, the run id, what both renderers share
//	inputs.go           what a run needs in a container: files, variables, environment
//	resources.go        per-container requests and the compute pool sizing
//	kubernetes.go       the Kubernetes renderer
//	kubernetes_types.go the subset of the Kubernetes API it writes
//	spcs.go             the SPCS renderer
//	spcs_types.go       the service specification fields it writes
//
// It does not plan (engine.BuildPlan does), apply anything to a cluster or
// an account, or build the image (internal/ociimage).
package deploy
