-- fbctl deployment of scenario "snowflake_hybrid" as run golden-sf: 2 worker replicas and the orchestrator, as SPCS job services.
-- Rendered from the plan by fbctl dev. Image: /fb/ops/images/fbctl:1.0.0
-- Run it with the Snowflake CLI from the directory `fbctl deploy render spcs -o DIR` wrote: snow sql -f spcs.sql

-- Compute pool: a worker requests 1.65 vCPU and 512Mi; CPU_X64_M (6 vCPU, 28 GiB) holds 3 per node at 90% of its capacity,
-- so 2 workers and the orchestrator need 1 node. MIN_NODES = MAX_NODES: every worker starts at once.
-- Check the families of the account with SHOW COMPUTE POOL INSTANCE FAMILIES.
CREATE COMPUTE POOL IF NOT EXISTS FBCTL_POOL
  MIN_NODES = 1
  MAX_NODES = 1
  INSTANCE_FAMILY = CPU_X64_M
  AUTO_RESUME = TRUE
  AUTO_SUSPEND_SECS = 600
  COMMENT = 'fbctl workers';
-- A pool that exists already: ALTER COMPUTE POOL FBCTL_POOL SET MIN_NODES = 1 MAX_NODES = 1;

-- The scenario files, on the stage the containers mount read-only at /etc/fbctl/scenario.
CREATE STAGE IF NOT EXISTS FB.OPS.FBCTL_STAGE ENCRYPTION = (TYPE = 'SNOWFLAKE_SSE');
PUT 'file://scenarios/snowflake_hybrid.fb.hcl' @FB.OPS.FBCTL_STAGE/golden-sf/ AUTO_COMPRESS = FALSE OVERWRITE = TRUE;
-- PUT deploy.vars.hcl too: render with -o DIR to write it (variables given with -var, -var-file or FB_VAR_*).

-- Secrets: one GENERIC_STRING secret object per environment variable (values are never rendered).
-- Create each once, and grant READ on it to the role that runs the services:
--   CREATE SECRET IF NOT EXISTS FB.OPS.FBCTL_FLAKEBENCH_RESULTS TYPE = GENERIC_STRING SECRET_STRING = '...';  -- FLAKEBENCH_RESULTS, read by the results store: the files have no results block
--   CREATE SECRET IF NOT EXISTS FB.OPS.FBCTL_SNOWFLAKE_PASSWORD TYPE = GENERIC_STRING SECRET_STRING = '...';  -- SNOWFLAKE_PASSWORD, read by connection.snowflake.bench
--   CREATE SECRET IF NOT EXISTS FB.OPS.FBCTL_SNOWFLAKE_ROLE TYPE = GENERIC_STRING SECRET_STRING = '...';  -- SNOWFLAKE_ROLE, read by connection.snowflake.bench; the files have a fallback: create it or drop its entry from the specifications
--   CREATE SECRET IF NOT EXISTS FB.OPS.FBCTL_SNOWFLAKE_USER TYPE = GENERIC_STRING SECRET_STRING = '...';  -- SNOWFLAKE_USER, read by connection.snowflake.bench
--   SNOWFLAKE_ACCOUNT is set by SPCS in every container; it is not passed.

-- The orchestrator.
EXECUTE JOB SERVICE
  IN COMPUTE POOL FBCTL_POOL
  FROM SPECIFICATION $$
spec:
  containers:
  - args:
    - apply
    - -auto-approve
    - -workers
    - external
    - -run-id
    - golden-sf
    - -scenario
    - snowflake_hybrid
    - -join-timeout
    - 10m0s
    - -var-file
    - /etc/fbctl/scenario/deploy.vars.hcl
    - /etc/fbctl/scenario
    image: /fb/ops/images/fbctl:1.0.0
    name: orchestrator
    resources:
      limits:
        cpu: 0.5
        memory: 512Mi
      requests:
        cpu: 0.25
        memory: 256Mi
    secrets:
    - envVarName: FLAKEBENCH_RESULTS
      secretKeyRef: secret_string
      snowflakeSecret:
        objectName: FB.OPS.FBCTL_FLAKEBENCH_RESULTS
    - envVarName: SNOWFLAKE_PASSWORD
      secretKeyRef: secret_string
      snowflakeSecret:
        objectName: FB.OPS.FBCTL_SNOWFLAKE_PASSWORD
    - envVarName: SNOWFLAKE_ROLE
      secretKeyRef: secret_string
      snowflakeSecret:
        objectName: FB.OPS.FBCTL_SNOWFLAKE_ROLE
    - envVarName: SNOWFLAKE_USER
      secretKeyRef: secret_string
      snowflakeSecret:
        objectName: FB.OPS.FBCTL_SNOWFLAKE_USER
    volumeMounts:
    - mountPath: /etc/fbctl/scenario
      name: scenario
  logExporters:
    eventTableConfig:
      logLevel: INFO
  volumes:
  - name: scenario
    source: stage
    stageConfig:
      name: '@FB.OPS.FBCTL_STAGE/golden-sf/'
$$
  NAME = FB.OPS.FBCTL_GOLDEN_SF_ORCHESTRATOR
  ASYNC = TRUE
  QUERY_WAREHOUSE = FB_CTRL_WH
  COMMENT = 'fbctl run golden-sf: orchestrator';

-- The workers.
EXECUTE JOB SERVICE
  IN COMPUTE POOL FBCTL_POOL
  FROM SPECIFICATION $$
spec:
  containers:
  - args:
    - worker
    - -run
    - golden-sf
    - -wait
    - 10m0s
    - -var-file
    - /etc/fbctl/scenario/deploy.vars.hcl
    - /etc/fbctl/scenario
    image: /fb/ops/images/fbctl:1.0.0
    name: worker
    resources:
      limits:
        cpu: 3.3
        memory: 1024Mi
      requests:
        cpu: 1.65
        memory: 512Mi
    secrets:
    - envVarName: FLAKEBENCH_RESULTS
      secretKeyRef: secret_string
      snowflakeSecret:
        objectName: FB.OPS.FBCTL_FLAKEBENCH_RESULTS
    - envVarName: SNOWFLAKE_PASSWORD
      secretKeyRef: secret_string
      snowflakeSecret:
        objectName: FB.OPS.FBCTL_SNOWFLAKE_PASSWORD
    - envVarName: SNOWFLAKE_ROLE
      secretKeyRef: secret_string
      snowflakeSecret:
        objectName: FB.OPS.FBCTL_SNOWFLAKE_ROLE
    - envVarName: SNOWFLAKE_USER
      secretKeyRef: secret_string
      snowflakeSecret:
        objectName: FB.OPS.FBCTL_SNOWFLAKE_USER
    volumeMounts:
    - mountPath: /etc/fbctl/scenario
      name: scenario
  logExporters:
    eventTableConfig:
      logLevel: INFO
  volumes:
  - name: scenario
    source: stage
    stageConfig:
      name: '@FB.OPS.FBCTL_STAGE/golden-sf/'
$$
  NAME = FB.OPS.FBCTL_GOLDEN_SF_WORKERS
  ASYNC = TRUE
  REPLICAS = 2
  QUERY_WAREHOUSE = FB_CTRL_WH
  COMMENT = 'fbctl run golden-sf: workers';

-- Follow the run: fbctl show golden-sf (against the same results store), or
--   DESCRIBE SERVICE FB.OPS.FBCTL_GOLDEN_SF_WORKERS;
--   SHOW SERVICE INSTANCES IN SERVICE FB.OPS.FBCTL_GOLDEN_SF_WORKERS;
--   SELECT SYSTEM$GET_SERVICE_LOGS('FB.OPS.FBCTL_GOLDEN_SF_WORKERS', 0, 'worker', 100);
