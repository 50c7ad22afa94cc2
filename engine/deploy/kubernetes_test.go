package deploy

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine"
	"github.com/google/go-cmp/cmp"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// kubeObjects decodes a rendering strictly into the Kubernetes API types:
// a field the API does not have fails the test. The stream must hold the
// same objects as the files.
func kubeObjects(t *testing.T, r *Rendering) (*corev1.ConfigMap, *batchv1.Job, *batchv1.Job) {
	t.Helper()
	var cm *corev1.ConfigMap
	var orch, workers *batchv1.Job
	for _, ob := range r.Objects {
		switch ob.File {
		case "configmap.yaml":
			cm = &corev1.ConfigMap{}
			strict(t, ob, cm)
		case "orchestrator-job.yaml":
			orch = &batchv1.Job{}
			strict(t, ob, orch)
		case "workers-job.yaml":
			workers = &batchv1.Job{}
			strict(t, ob, workers)
		default:
			t.Errorf("unexpected object %s", ob.File)
		}
	}
	if cm == nil || orch == nil || workers == nil {
		t.Fatalf("objects %v: want a ConfigMap and two Jobs", r.Objects)
	}
	docs := strings.Split(string(r.Stream), "\n---\n")
	if len(docs) != 4 || !strings.HasPrefix(docs[0], "# ") {
		t.Fatalf("the stream has %d parts, want the notes and 3 objects", len(docs))
	}
	for i, ob := range r.Objects {
		if docs[i+1] != strings.TrimSuffix(string(ob.Body), "\n") && docs[i+1] != string(ob.Body) {
			t.Errorf("stream document %d differs from %s", i+1, ob.File)
		}
	}
	return cm, orch, workers
}

func strict(t *testing.T, ob Object, into any) {
	t.Helper()
	if err := yaml.UnmarshalStrict(ob.Body, into); err != nil {
		t.Fatalf("%s does not decode strictly as a %s: %v", ob.File, ob.Kind, err)
	}
}

func TestKubernetesManifests(t *testing.T) {
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			o := Options{Namespace: "bench", TTL: 2 * time.Hour, Secret: "fb-env"}
			r, cfg, rp := render(t, Kubernetes, tc, o)
			cm, orch, workers := kubeObjects(t, r)
			runID := r.RunID
			checkKubernetesRules(t, cfg, rp, runID, cm, orch, workers, "fb-env", "bench")
		})
	}
}

// checkKubernetesRules are the semantic rules strict decoding does not
// check.
func checkKubernetesRules(t *testing.T, cfg *dsl.Config, rp engine.RunPlan, runID string, cm *corev1.ConfigMap, orch, workers *batchv1.Job, secret, namespace string) {
	t.Helper()
	for _, m := range []struct {
		kind, name, ns string
		labels         map[string]string
	}{
		{"ConfigMap", cm.Name, cm.Namespace, cm.Labels},
		{"orchestrator Job", orch.Name, orch.Namespace, orch.Labels},
		{"workers Job", workers.Name, workers.Namespace, workers.Labels},
		{"orchestrator pod", "x", namespace, orch.Spec.Template.Labels},
		{"worker pod", "x", namespace, workers.Spec.Template.Labels},
	} {
		if m.labels[LabelRunID] != runID || m.labels[LabelScenario] == "" || m.ns != namespace || m.name == "" || len(m.name) > 63 {
			t.Errorf("%s %q in %q: labels %v, want run id %s in namespace %s", m.kind, m.name, m.ns, m.labels, runID, namespace)
		}
	}

	// The workers: one Indexed Job of exactly the plan's workers, no
	// retries per index, a pod failure policy.
	ws := workers.Spec
	n := int32(rp.Workers)
	switch {
	case ws.CompletionMode == nil || *ws.CompletionMode != batchv1.IndexedCompletion:
		t.Errorf("workers completionMode = %v, want Indexed", ws.CompletionMode)
	case ws.Completions == nil || ws.Parallelism == nil || *ws.Completions != n || *ws.Parallelism != n:
		t.Errorf("workers completions/parallelism = %v/%v, want %d = the plan's workers", ws.Completions, ws.Parallelism, n)
	case ws.BackoffLimitPerIndex == nil || *ws.BackoffLimitPerIndex != 0:
		t.Errorf("backoffLimitPerIndex = %v, want 0", ws.BackoffLimitPerIndex)
	case ws.PodFailurePolicy == nil || len(ws.PodFailurePolicy.Rules) == 0:
		t.Error("no pod failure policy")
	case ws.TTLSecondsAfterFinished == nil || *ws.TTLSecondsAfterFinished != 7200:
		t.Errorf("workers ttlSecondsAfterFinished = %v, want 7200", ws.TTLSecondsAfterFinished)
	case ws.PodReplacementPolicy == nil || *ws.PodReplacementPolicy != batchv1.Failed:
		t.Errorf("podReplacementPolicy = %v, want Failed", ws.PodReplacementPolicy)
	}
	failJob := false
	for _, rule := range ws.PodFailurePolicy.Rules {
		if rule.Action == batchv1.PodFailurePolicyActionFailJob && rule.OnExitCodes != nil &&
			rule.OnExitCodes.Operator == batchv1.PodFailurePolicyOnExitCodesOpNotIn && slices.Equal(rule.OnExitCodes.Values, []int32{0}) {
			failJob = true
			if c := rule.OnExitCodes.ContainerName; c == nil || *c != workers.Spec.Template.Spec.Containers[0].Name {
				t.Errorf("the FailJob rule names container %v", c)
			}
		}
	}
	if !failJob {
		t.Errorf("pod failure policy %+v has no FailJob rule for a failed worker", ws.PodFailurePolicy.Rules)
	}
	if os := orch.Spec; os.BackoffLimit == nil || *os.BackoffLimit != 0 || os.Completions == nil || *os.Completions != 1 || os.TTLSecondsAfterFinished == nil {
		t.Errorf("orchestrator Job: backoffLimit %v, completions %v, ttl %v; want 0, 1, set", os.BackoffLimit, os.Completions, os.TTLSecondsAfterFinished)
	}

	want := expectedEnv(cfg)
	for _, job := range []*batchv1.Job{orch, workers} {
		pod := job.Spec.Template.Spec
		if pod.RestartPolicy != corev1.RestartPolicyNever {
			t.Errorf("%s: restartPolicy %q, want Never", job.Name, pod.RestartPolicy)
		}
		if pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot ||
			pod.SecurityContext.RunAsUser == nil || *pod.SecurityContext.RunAsUser == 0 {
			t.Errorf("%s: pod security context %+v, want a non-root user", job.Name, pod.SecurityContext)
		}
		if len(pod.Containers) != 1 {
			t.Fatalf("%s: %d containers", job.Name, len(pod.Containers))
		}
		c := pod.Containers[0]
		if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
			t.Errorf("%s: resources %+v, want cpu and memory requests and a memory limit", job.Name, c.Resources)
		}
		// Secrets only by reference: no literal value, every secretKeyRef
		// in the named Secret, exactly the variables the files read.
		var got []string
		for _, e := range c.Env {
			switch {
			case e.Value != "":
				t.Errorf("%s: env %s has a literal value", job.Name, e.Name)
			case e.ValueFrom == nil:
				t.Errorf("%s: env %s has no source", job.Name, e.Name)
			case e.ValueFrom.SecretKeyRef != nil:
				if e.ValueFrom.SecretKeyRef.Name != secret || e.ValueFrom.SecretKeyRef.Key != e.Name {
					t.Errorf("%s: env %s from %s/%s, want %s/%s", job.Name, e.Name, e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key, secret, e.Name)
				}
				got = append(got, e.Name)
			case e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.name" && job == workers:
			default:
				t.Errorf("%s: env %s from %+v", job.Name, e.Name, e.ValueFrom)
			}
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s: secret env (-want +got):\n%s", job.Name, d)
		}
		// The files: the ConfigMap, mounted read-only where the command
		// reads them.
		mounted := false
		for _, m := range c.VolumeMounts {
			if m.MountPath == ScenarioDir {
				mounted = m.ReadOnly
				for _, v := range pod.Volumes {
					if v.Name == m.Name && (v.ConfigMap == nil || v.ConfigMap.Name != cm.Name) {
						t.Errorf("%s: volume %s is not the ConfigMap %s", job.Name, v.Name, cm.Name)
					}
				}
			}
		}
		if !mounted {
			t.Errorf("%s: the ConfigMap is not mounted read-only at %s", job.Name, ScenarioDir)
		}
		if c.Args[len(c.Args)-1] != ScenarioDir {
			t.Errorf("%s: args %v do not load %s", job.Name, c.Args, ScenarioDir)
		}
	}
	wantWorker := []string{"worker", "-run", runID}
	wantOrch := []string{"apply", "-auto-approve", "-workers", "external", "-run-id", runID, "-scenario", rp.Scenario}
	if args := workers.Spec.Template.Spec.Containers[0].Args; !slices.Equal(args[:3], wantWorker) {
		t.Errorf("worker args %v, want %v…", args, wantWorker)
	}
	if args := orch.Spec.Template.Spec.Containers[0].Args; !slices.Equal(args[:8], wantOrch) {
		t.Errorf("orchestrator args %v, want %v…", args, wantOrch)
	}
	for p, src := range cfg.Sources {
		if cm.Data[filepath.Base(p)] != string(src) {
			t.Errorf("the ConfigMap does not hold %s as loaded", p)
		}
	}
	if _, ok := cm.Data[VarsFile]; ok != hasVarsFromOutside(cfg) {
		t.Errorf("ConfigMap has %s: %v, want %v", VarsFile, ok, !ok)
	}
}

func hasVarsFromOutside(cfg *dsl.Config) bool {
	for _, v := range cfg.Variables {
		if v.Source != "default" && !v.Sensitive {
			return true
		}
	}
	return false
}

// TestKubernetesVarsFile: a -var value reaches the containers exactly, a
// sensitive one only as FB_VAR_<name> from the Secret.
func TestKubernetesVarsFile(t *testing.T) {
	r, _, _ := render(t, Kubernetes, testCases[2], Options{})
	cm, _, workers := kubeObjects(t, r)
	vars := cm.Data[VarsFile]
	if !strings.Contains(vars, "rate = 6000") || strings.Contains(vars, "pg_password") {
		t.Errorf("%s:\n%s", VarsFile, vars)
	}
	// The file parses and gives the value back.
	path := filepath.Join(t.TempDir(), "x.fb.hcl")
	cfg, diags := dsl.LoadSources(map[string][]byte{path: []byte(cm.Data["fifty_workers.fb.hcl"]), filepath.Join(filepath.Dir(path), VarsFile): []byte(vars)},
		dsl.LoadOptions{VarFiles: []string{filepath.Join(filepath.Dir(path), VarsFile)}, LookupEnv: func(k string) (string, bool) { return "x", k == "FB_VAR_pg_password" }})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if v := cfg.Variables["rate"]; v.Value != int64(6000) && v.Value != float64(6000) {
		t.Errorf("rate from %s = %#v", VarsFile, v.Value)
	}
	args := workers.Spec.Template.Spec.Containers[0].Args
	if !slices.Contains(args, ScenarioDir+"/"+VarsFile) {
		t.Errorf("worker args %v do not read %s", args, VarsFile)
	}
}

// TestStrictDecodingCatchesUnknownFields keeps the check above honest: a
// field the API does not have is refused.
func TestStrictDecodingCatchesUnknownFields(t *testing.T) {
	r, _, _ := render(t, Kubernetes, testCases[0], Options{})
	for _, ob := range r.Objects {
		if ob.File != "workers-job.yaml" {
			continue
		}
		bad := strings.Replace(string(ob.Body), "\nspec:\n", "\nspec:\n  backoffLimitPerIndexx: 0\n", 1)
		if err := yaml.UnmarshalStrict([]byte(bad), &batchv1.Job{}); err == nil || !strings.Contains(err.Error(), "backoffLimitPerIndexx") {
			t.Errorf("a misspelt field decoded: %v", err)
		}
	}
}
