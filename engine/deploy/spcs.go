package deploy

import (
	"bytes"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"sigs.k8s.io/yaml"
)

// spcsInjected are the variables SPCS sets in every container; a secret
// must not override them (the session token only works with the internal
// SNOWFLAKE_HOST).
var spcsInjected = map[string]bool{
	"SNOWFLAKE_ACCOUNT": true, "SNOWFLAKE_HOST": true, "SNOWFLAKE_PORT": true,
	"SNOWFLAKE_DATABASE": true, "SNOWFLAKE_SCHEMA": true, "SNOWFLAKE_SERVICE_NAME": true,
}

var (
	sqlIdent  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*){0,2}$`)
	envIdent  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	spcsImage = regexp.MustCompile(`^(/|[a-z0-9-]+\.registry(\.[a-z0-9-]+)*\.snowflakecomputing\.com/)`)
)

// spcsSecretKey is the key of a GENERIC_STRING secret object.
const spcsSecretKey = "secret_string"

func renderSPCS(in *inputs, o Options) (*Rendering, error) {
	if !spcsImage.MatchString(o.Image) {
		return nil, fmt.Errorf("SPCS runs images from the account's image repository: -image /DB/SCHEMA/REPOSITORY/fbctl:TAG (repository_url of SHOW IMAGE REPOSITORIES without the host), not %q", o.Image)
	}
	for _, id := range append([]string{o.ComputePool, o.Stage, o.Schema, o.QueryWarehouse}, o.ExternalAccess...) {
		if id != "" && !sqlIdent.MatchString(id) {
			return nil, fmt.Errorf("%q is not an unquoted Snowflake identifier ([DB.][SCHEMA.]NAME of letters, digits and '_')", id)
		}
	}
	wr, err := workerResources(in.maxConns, in.maxRate, o)
	if err != nil {
		return nil, err
	}
	pool, err := sizePool(in.run.Workers, wr, o.InstanceFamily)
	if err != nil {
		return nil, err
	}
	qualify := func(name string) string {
		if o.Schema == "" || strings.Contains(name, ".") {
			return name
		}
		return o.Schema + "." + name
	}
	runIdent := strings.ToUpper(strings.ReplaceAll(o.RunID, "-", "_"))
	orchService := qualify("FBCTL_" + runIdent + "_ORCHESTRATOR")
	workerService := qualify("FBCTL_" + runIdent + "_WORKERS")
	stage := qualify(o.Stage)
	stagePath := "@" + stage + "/" + o.RunID + "/"

	var secrets []spcsSecret
	var injected []string
	secretObject := map[string]string{}
	for _, v := range in.env {
		if spcsInjected[v.Name] {
			injected = append(injected, v.Name)
			continue
		}
		if !envIdent.MatchString(v.Name) {
			return nil, fmt.Errorf("the environment variable %q cannot name a Snowflake secret object", v.Name)
		}
		obj := qualify(strings.ToUpper(o.Secret) + "_" + strings.ToUpper(v.Name))
		secretObject[v.Name] = obj
		secrets = append(secrets, spcsSecret{SnowflakeSecret: spcsSecretObject{ObjectName: obj}, SecretKeyRef: spcsSecretKey, EnvVarName: v.Name})
	}
	capacity := resources{MilliCPU: pool.Family.VCPU * 1000, MemoryMi: pool.Family.MemoryGi * 1024}
	container := func(name string, args []string, r resources) spcsContainer {
		return spcsContainer{
			Name: name, Image: o.Image, Args: args,
			Resources: &spcsResources{
				Requests: map[string]any{"cpu": vCPUs(r.MilliCPU), "memory": kubeMemory(r.MemoryMi)},
				Limits:   map[string]any{"cpu": vCPUs(min(2*r.MilliCPU, capacity.MilliCPU)), "memory": kubeMemory(min(2*r.MemoryMi, capacity.MemoryMi))},
			},
			Secrets:      secrets,
			VolumeMounts: []spcsVolumeMount{{Name: "scenario", MountPath: ScenarioDir}},
		}
	}
	spec := func(c spcsContainer) ([]byte, error) {
		return yaml.Marshal(spcsSpecFile{Spec: spcsSpec{
			Containers:   []spcsContainer{c},
			Volumes:      []spcsVolume{{Name: "scenario", Source: "stage", StageConfig: &spcsStageConfig{Name: stagePath}}},
			LogExporters: &spcsLogExporters{EventTableConfig: spcsEventTableConfig{LogLevel: "INFO"}},
		}})
	}
	orchSpec, err := spec(container(orchestratorContainer, in.orchestratorArgs(o), orchestratorResources))
	if err != nil {
		return nil, err
	}
	// SNOWFLAKE_JOB_INDEX is set by SPCS in each replica; the worker reads
	// it as a hint.
	workerSpec, err := spec(container(workerContainer, in.workerArgs(o), wr))
	if err != nil {
		return nil, err
	}

	var sql bytes.Buffer
	comment := func(format string, a ...any) {
		for _, line := range strings.Split(fmt.Sprintf(format, a...), "\n") {
			sql.WriteString(strings.TrimRight("-- "+line, " ") + "\n")
		}
	}
	comment("fbctl deployment of scenario %q as run %s: %s and the orchestrator, as SPCS job services.", in.run.Scenario, o.RunID, plural(in.run.Workers, "worker replica"))
	comment("Rendered from the plan by fbctl %s. Image: %s", o.ToolVersion, o.Image)
	comment("Run it with the Snowflake CLI from the directory `fbctl deploy render spcs -o DIR` wrote: snow sql -f spcs.sql")
	sql.WriteString("\n")
	comment("Compute pool: a worker requests %s vCPU and %s; %s (%d vCPU, %d GiB) holds %d per node at %d%% of its capacity,",
		decimalCPU(wr.MilliCPU), kubeMemory(wr.MemoryMi), pool.Family.Name, pool.Family.VCPU, pool.Family.MemoryGi, pool.WorkersPerNode, int(poolHeadroom*100))
	comment("so %s and the orchestrator need %s. MIN_NODES = MAX_NODES: every worker starts at once.", plural(in.run.Workers, "worker"), plural(pool.Nodes, "node"))
	comment("Check the families of the account with SHOW COMPUTE POOL INSTANCE FAMILIES.")
	fmt.Fprintf(&sql, "CREATE COMPUTE POOL IF NOT EXISTS %s\n  MIN_NODES = %d\n  MAX_NODES = %d\n  INSTANCE_FAMILY = %s\n  AUTO_RESUME = TRUE\n  AUTO_SUSPEND_SECS = 600\n  COMMENT = 'fbctl workers';\n",
		o.ComputePool, pool.Nodes, pool.Nodes, pool.Family.Name)
	comment("A pool that exists already: ALTER COMPUTE POOL %s SET MIN_NODES = %d MAX_NODES = %d;", o.ComputePool, pool.Nodes, pool.Nodes)
	sql.WriteString("\n")

	comment("The scenario files, on the stage the containers mount read-only at %s.", ScenarioDir)
	fmt.Fprintf(&sql, "CREATE STAGE IF NOT EXISTS %s ENCRYPTION = (TYPE = 'SNOWFLAKE_SSE');\n", stage)
	put := func(path string) {
		fmt.Fprintf(&sql, "PUT '%s' %s AUTO_COMPRESS = FALSE OVERWRITE = TRUE;\n", fileURL(path), stagePath)
	}
	for _, f := range in.files {
		if o.FilesDir != "" {
			put(filepath.Join(o.FilesDir, f.name))
		} else {
			put(f.path)
		}
	}
	if in.varsFile != nil {
		if o.FilesDir != "" {
			put(filepath.Join(o.FilesDir, VarsFile))
		} else {
			comment("PUT %s too: render with -o DIR to write it (variables given with -var, -var-file or FB_VAR_*).", VarsFile)
		}
	}
	sql.WriteString("\n")

	if len(secrets) > 0 || len(injected) > 0 {
		comment("Secrets: one GENERIC_STRING secret object per environment variable (values are never rendered).")
		comment("Create each once, and grant READ on it to the role that runs the services:")
		for _, v := range in.env {
			if spcsInjected[v.Name] {
				continue
			}
			opt := ""
			if v.Optional {
				opt = "; the files have a fallback: create it or drop its entry from the specifications"
			}
			comment("  CREATE SECRET IF NOT EXISTS %s TYPE = GENERIC_STRING SECRET_STRING = '...';  -- %s, read by %s%s", secretObject[v.Name], v.Name, strings.Join(v.For, ", "), opt)
		}
		for _, n := range injected {
			comment("  %s is set by SPCS in every container; it is not passed.", n)
		}
		sql.WriteString("\n")
	}
	if in.connTypes["postgres"] && len(o.ExternalAccess) == 0 {
		comment("The run reaches Postgres: containers have no egress until an external access integration allows it")
		comment("(CREATE NETWORK RULE … MODE = EGRESS TYPE = HOST_PORT, CREATE EXTERNAL ACCESS INTEGRATION); render with -eai NAME.")
		sql.WriteString("\n")
	}

	execute := func(what, service string, spec []byte, replicas int64) {
		comment("The %s.", what)
		fmt.Fprintf(&sql, "EXECUTE JOB SERVICE\n  IN COMPUTE POOL %s\n  FROM SPECIFICATION $$\n%s$$\n  NAME = %s\n  ASYNC = TRUE\n", o.ComputePool, spec, service)
		if replicas > 1 {
			fmt.Fprintf(&sql, "  REPLICAS = %d\n", replicas)
		}
		if o.QueryWarehouse != "" {
			fmt.Fprintf(&sql, "  QUERY_WAREHOUSE = %s\n", o.QueryWarehouse)
		}
		fmt.Fprintf(&sql, "  COMMENT = 'fbctl run %s: %s'", o.RunID, what)
		if len(o.ExternalAccess) > 0 {
			fmt.Fprintf(&sql, "\n  EXTERNAL_ACCESS_INTEGRATIONS = (%s)", strings.Join(o.ExternalAccess, ", "))
		}
		sql.WriteString(";\n\n")
	}
	execute("orchestrator", orchService, orchSpec, 1)
	execute("workers", workerService, workerSpec, in.run.Workers)

	comment("Follow the run: fbctl show %s (against the same results store), or", o.RunID)
	comment("  DESCRIBE SERVICE %s;", workerService)
	comment("  SHOW SERVICE INSTANCES IN SERVICE %s;", workerService)
	comment("  SELECT SYSTEM$GET_SERVICE_LOGS('%s', 0, '%s', 100);", workerService, workerContainer)

	r := &Rendering{Target: SPCS, RunID: o.RunID, Stream: sql.Bytes()}
	r.Objects = append(r.Objects,
		Object{File: "spcs.sql", Kind: "SQL", Body: sql.Bytes()},
		Object{File: "orchestrator-spec.yaml", Kind: "ServiceSpec", Body: orchSpec},
		Object{File: "workers-spec.yaml", Kind: "ServiceSpec", Body: workerSpec},
	)
	for _, f := range in.files {
		r.Objects = append(r.Objects, Object{File: f.name, Kind: "ScenarioFile", Body: f.body})
	}
	if in.varsFile != nil {
		r.Objects = append(r.Objects, Object{File: VarsFile, Kind: "VarsFile", Body: in.varsFile})
	}
	r.Notes = []string{
		fmt.Sprintf("fbctl deployment of scenario %q as run %s: %s in compute pool %s (%d × %s).", in.run.Scenario, o.RunID, plural(in.run.Workers, "worker"), o.ComputePool, pool.Nodes, pool.Family.Name),
		"Run the SQL with the Snowflake CLI from the -o directory: snow sql -f spcs.sql",
	}
	for _, v := range in.env {
		if obj, ok := secretObject[v.Name]; ok {
			r.Notes = append(r.Notes, fmt.Sprintf("  secret object %s holds %s, read by %s", obj, v.Name, strings.Join(v.For, ", ")))
		}
	}
	return r, nil
}

// vCPUs is millicores as a number of vCPUs.
func vCPUs(m int64) float64 { return float64(m) / 1000 }

// fileURL is the PUT form of a local path.
func fileURL(p string) string {
	p = filepath.ToSlash(p)
	return "file://" + strings.ReplaceAll(p, "'", `\'`)
}
