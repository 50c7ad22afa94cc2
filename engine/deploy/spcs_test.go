package deploy

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

// docSpec is the service specification as the SPCS reference documents
// it (spec.containers, endpoints, volumes, logExporters; serviceRoles),
// written from the reference, not from the renderer's structs: a field
// the reference does not have fails strict decoding.
type docSpec struct {
	Spec struct {
		Containers []struct {
			Name           string            `json:"name"`
			Image          string            `json:"image"`
			Command        []string          `json:"command"`
			Args           []string          `json:"args"`
			Env            map[string]string `json:"env"`
			ReadinessProbe *docProbe         `json:"readinessProbe"`
			LivenessProbe  *docProbe         `json:"livenessProbe"`
			VolumeMounts   []struct {
				Name      string `json:"name"`
				MountPath string `json:"mountPath"`
			} `json:"volumeMounts"`
			Resources *struct {
				Requests *docResources `json:"requests"`
				Limits   *docResources `json:"limits"`
			} `json:"resources"`
			Secrets []struct {
				SnowflakeSecret struct {
					ObjectName      string `json:"objectName"`
					ObjectReference string `json:"objectReference"`
				} `json:"snowflakeSecret"`
				DirectoryPath string `json:"directoryPath"`
				EnvVarName    string `json:"envVarName"`
				SecretKeyRef  string `json:"secretKeyRef"`
			} `json:"secrets"`
		} `json:"containers"`
		Endpoints []struct {
			Name      string `json:"name"`
			Port      int    `json:"port"`
			PortRange string `json:"portRange"`
			Public    bool   `json:"public"`
			Protocol  string `json:"protocol"`
		} `json:"endpoints"`
		Volumes []struct {
			Name        string `json:"name"`
			Source      string `json:"source"`
			Size        string `json:"size"`
			UID         *int   `json:"uid"`
			GID         *int   `json:"gid"`
			StageConfig *struct {
				Name string `json:"name"`
			} `json:"stageConfig"`
		} `json:"volumes"`
		LogExporters *struct {
			EventTableConfig struct {
				LogLevel string `json:"logLevel"`
			} `json:"eventTableConfig"`
		} `json:"logExporters"`
	} `json:"spec"`
	ServiceRoles []struct {
		Name      string   `json:"name"`
		Endpoints []string `json:"endpoints"`
	} `json:"serviceRoles"`
}

type docProbe struct {
	Port int    `json:"port"`
	Path string `json:"path"`
}

type docResources struct {
	CPU    *float64 `json:"cpu"`
	Memory string   `json:"memory"`
	GPU    *int     `json:"nvidia.com/gpu"`
}

var (
	// spcsName is the reference's rule for container, endpoint and volume
	// names.
	spcsName = regexp.MustCompile(`^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`)
	// executeJob is EXECUTE JOB SERVICE with its parameters in the order
	// of the reference's syntax (the usage notes require that order).
	executeJob = regexp.MustCompile(`(?s)EXECUTE JOB SERVICE\n  IN COMPUTE POOL (\S+)\n  FROM SPECIFICATION \$\$\n(.*?)\$\$\n  NAME = (\S+)\n  ASYNC = TRUE\n(?:  REPLICAS = (\d+)\n)?(?:  QUERY_WAREHOUSE = (\S+)\n)?  COMMENT = '[^']*'(?:\n  EXTERNAL_ACCESS_INTEGRATIONS = \(([^)]*)\))?;`)
	createPool = regexp.MustCompile(`CREATE COMPUTE POOL IF NOT EXISTS (\S+)\n  MIN_NODES = (\d+)\n  MAX_NODES = (\d+)\n  INSTANCE_FAMILY = (\S+)\n`)
)

func TestSPCSSpecs(t *testing.T) {
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			o := Options{ComputePool: "FB_POOL", Schema: "FB.OPS", QueryWarehouse: "FB_CTRL_WH", ExternalAccess: []string{"FB_PG_EAI"}, Secret: "bench"}
			r, cfg, rp := render(t, SPCS, tc, o)
			sql := string(r.Stream)
			files := map[string][]byte{}
			for _, ob := range r.Objects {
				files[ob.File] = ob.Body
			}
			if string(files["spcs.sql"]) != sql {
				t.Error("spcs.sql differs from the stream")
			}
			m := executeJob.FindAllStringSubmatch(sql, -1)
			if len(m) != 2 {
				t.Fatalf("want 2 EXECUTE JOB SERVICE statements in documented order, found %d:\n%s", len(m), sql)
			}
			orch, workers := m[0], m[1]
			if string(files["orchestrator-spec.yaml"]) != orch[2] || string(files["workers-spec.yaml"]) != workers[2] {
				t.Error("the inline specifications differ from the spec files")
			}
			if orch[1] != "FB_POOL" || workers[1] != "FB_POOL" || orch[5] != "FB_CTRL_WH" || workers[6] != "FB_PG_EAI" {
				t.Errorf("pool, warehouse or EAI not as given: %q", m)
			}
			wantReplicas := strconv.FormatInt(rp.Workers, 10)
			if rp.Workers == 1 {
				wantReplicas = "" // the default
			}
			if orch[4] != "" || workers[4] != wantReplicas {
				t.Errorf("REPLICAS: orchestrator %q, workers %q; want none and %d", orch[4], workers[4], rp.Workers)
			}
			if !strings.HasPrefix(orch[3], "FB.OPS.") || !strings.HasPrefix(workers[3], "FB.OPS.") || orch[3] == workers[3] {
				t.Errorf("service names %s, %s", orch[3], workers[3])
			}

			want := expectedEnv(cfg)
			want = slices.DeleteFunc(want, func(n string) bool { return spcsInjected[n] })
			for i, spec := range []string{orch[2], workers[2]} {
				var d docSpec
				if err := yaml.UnmarshalStrict([]byte(spec), &d); err != nil {
					t.Fatalf("specification %d does not decode strictly into the documented fields: %v\n%s", i, err, spec)
				}
				checkSPCSRules(t, &d, want, o, r.RunID)
			}
			wargs := mustDecode(t, workers[2]).Spec.Containers[0].Args
			if !slices.Equal(wargs[:3], []string{"worker", "-run", r.RunID}) {
				t.Errorf("worker args %v", wargs)
			}
			oargs := mustDecode(t, orch[2]).Spec.Containers[0].Args
			if !slices.Equal(oargs[:8], []string{"apply", "-auto-approve", "-workers", "external", "-run-id", r.RunID, "-scenario", rp.Scenario}) {
				t.Errorf("orchestrator args %v", oargs)
			}

			// The pool holds every worker and the orchestrator.
			p := createPool.FindStringSubmatch(sql)
			if p == nil || p[1] != "FB_POOL" || p[2] != p[3] {
				t.Fatalf("CREATE COMPUTE POOL: %q", p)
			}
			nodes, _ := strconv.ParseInt(p[2], 10, 64)
			var fam instanceFamily
			for _, f := range instanceFamilies {
				if f.Name == p[4] {
					fam = f
				}
			}
			wr := mustDecode(t, workers[2]).Spec.Containers[0].Resources.Requests
			cpu := int64(*wr.CPU * 1000)
			mem, err := parseMemory(wr.Memory)
			if fam.Name == "" || err != nil {
				t.Fatalf("family %q, memory %q: %v", p[4], wr.Memory, err)
			}
			perNode := min(fam.VCPU*1000/cpu, fam.MemoryGi*1024/mem)
			if nodes*perNode < rp.Workers+1 || nodes > maxPoolNodes {
				t.Errorf("%d nodes of %s hold %d workers of %d m and %d Mi; the run has %d and the orchestrator", nodes, fam.Name, nodes*perNode, cpu, mem, rp.Workers)
			}

			// The stage gets every file the specs mount.
			puts := strings.Count(sql, "\nPUT ")
			if puts != len(cfg.Sources) {
				t.Errorf("%d PUT statements for %d files", puts, len(cfg.Sources))
			}
		})
	}
}

func mustDecode(t *testing.T, spec string) *docSpec {
	t.Helper()
	var d docSpec
	if err := yaml.UnmarshalStrict([]byte(spec), &d); err != nil {
		t.Fatal(err)
	}
	return &d
}

// checkSPCSRules are the reference's rules strict decoding does not check.
func checkSPCSRules(t *testing.T, d *docSpec, wantEnv []string, o Options, runID string) {
	t.Helper()
	if len(d.Spec.Containers) != 1 {
		t.Fatalf("%d containers", len(d.Spec.Containers))
	}
	c := d.Spec.Containers[0]
	if !spcsName.MatchString(c.Name) || !strings.HasPrefix(c.Image, "/") {
		t.Errorf("container %q image %q: want a valid name and a repository path", c.Name, c.Image)
	}
	if c.Resources == nil || c.Resources.Requests == nil || c.Resources.Requests.CPU == nil || c.Resources.Requests.Memory == "" ||
		c.Resources.Limits == nil || *c.Resources.Limits.CPU < *c.Resources.Requests.CPU {
		t.Errorf("resources %+v", c.Resources)
	}
	if len(c.Env) != 0 {
		t.Errorf("literal env %v; every variable must come from a secret", c.Env)
	}
	var got []string
	for _, s := range c.Secrets {
		switch {
		case (s.EnvVarName == "") == (s.DirectoryPath == ""):
			t.Errorf("secret %+v: want exactly one of envVarName and directoryPath", s)
		case s.EnvVarName != "" && !slices.Contains([]string{"username", "password", "secret_string"}, s.SecretKeyRef):
			t.Errorf("secret %+v: secretKeyRef must be username, password or secret_string", s)
		case (s.SnowflakeSecret.ObjectName == "") == (s.SnowflakeSecret.ObjectReference == ""):
			t.Errorf("secret %+v: want exactly one of objectName and objectReference", s)
		}
		if wantObj := "FB.OPS." + strings.ToUpper(o.Secret+"_"+s.EnvVarName); s.SnowflakeSecret.ObjectName != wantObj {
			t.Errorf("secret for %s from %s, want %s", s.EnvVarName, s.SnowflakeSecret.ObjectName, wantObj)
		}
		got = append(got, s.EnvVarName)
	}
	if diff := cmp.Diff(wantEnv, got); diff != "" {
		t.Errorf("secret env (-want +got):\n%s", diff)
	}
	if len(c.VolumeMounts) != 1 || c.VolumeMounts[0].MountPath != ScenarioDir || len(d.Spec.Volumes) != 1 {
		t.Fatalf("volumes %+v mounts %+v", d.Spec.Volumes, c.VolumeMounts)
	}
	v := d.Spec.Volumes[0]
	if v.Name != c.VolumeMounts[0].Name || !spcsName.MatchString(v.Name) || v.Source != "stage" || v.StageConfig == nil ||
		v.StageConfig.Name != "@FB.OPS."+DefaultStage+"/"+runID+"/" {
		t.Errorf("volume %+v: want the stage volume (v2) at the run's path", v)
	}
	if d.Spec.LogExporters == nil || d.Spec.LogExporters.EventTableConfig.LogLevel == "" {
		t.Error("no log exporter: logs of reclaimed nodes would be lost")
	}
}

func TestSPCSRefusesAnImageOutsideTheRepository(t *testing.T) {
	cfg, rp := load(t, testCases[0])
	_, diags := Render(SPCS, rp, cfg, Options{RunID: "r1", Image: "ghcr.io/x/fbctl:1"})
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "image repository") {
		t.Errorf("diagnostics = %v", diags)
	}
	_, diags = Render(SPCS, rp, cfg, Options{RunID: "r1", Image: "myorg-myacct.registry.snowflakecomputing.com/fb/ops/images/fbctl:1"})
	if diags.HasErrors() {
		t.Errorf("the registry host form was refused: %v", diags)
	}
}
