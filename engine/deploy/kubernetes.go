package deploy

import (
	"bytes"
	"fmt"
	"strings"

	"sigs.k8s.io/yaml"
)

// Kubernetes label keys.
const (
	LabelRunID     = "flakebench.io/run-id"
	LabelScenario  = "flakebench.io/scenario"
	labelName      = "app.kubernetes.io/name"
	labelComponent = "app.kubernetes.io/component"
	labelManagedBy = "app.kubernetes.io/managed-by"
	labelVersion   = "app.kubernetes.io/version"
)

// Container names; the pod failure policy names the worker's.
const (
	workerContainer       = "worker"
	orchestratorContainer = "orchestrator"
)

// workerGracePeriod lets a stopped worker drain and write its rows.
const workerGracePeriod = 60

func renderKubernetes(in *inputs, o Options) (*Rendering, error) {
	wr, err := workerResources(in.maxConns, in.maxRate, o)
	if err != nil {
		return nil, err
	}
	for _, v := range in.env {
		if !configMapKey.MatchString(v.Name) {
			return nil, fmt.Errorf("the environment variable %q cannot be a key of a Kubernetes Secret (letters, digits, '-', '_' and '.')", v.Name)
		}
	}
	base := "fbctl-" + o.RunID
	cmName := base + "-scenario"
	labels := func(component string) map[string]string {
		return map[string]string{
			labelName:      "fbctl",
			labelComponent: component,
			labelManagedBy: "fbctl",
			labelVersion:   labelValue(o.ToolVersion),
			LabelRunID:     o.RunID,
			LabelScenario:  labelValue(in.run.Scenario),
		}
	}

	cm := kubeConfigMap{APIVersion: "v1", Kind: "ConfigMap",
		Metadata: kubeMeta{Name: cmName, Namespace: o.Namespace, Labels: labels("scenario")},
		Data:     map[string]string{}}
	for _, f := range in.files {
		cm.Data[f.name] = string(f.body)
	}
	if in.varsFile != nil {
		cm.Data[VarsFile] = string(in.varsFile)
	}

	workers := int32(in.run.Workers)
	workerEnv := append([]kubeEnvVar{{Name: "POD_NAME", ValueFrom: &kubeEnvVarSource{FieldRef: &kubeFieldSelector{FieldPath: "metadata.name"}}}}, in.kubeSecretEnv(o)...)
	workerJob := kubeJob{APIVersion: "batch/v1", Kind: "Job",
		Metadata: kubeMeta{Name: base + "-workers", Namespace: o.Namespace, Labels: labels("worker")},
		Spec: kubeJobSpec{
			CompletionMode:       "Indexed",
			Completions:          &workers,
			Parallelism:          &workers,
			BackoffLimitPerIndex: ptr(int32(0)),
			MaxFailedIndexes:     ptr(int32(0)),
			PodReplacementPolicy: "Failed",
			PodFailurePolicy: &kubePodFailurePolicy{Rules: []kubePodFailurePolicyRule{
				// An evicted or preempted pod is replaced without counting
				// as a failure; the new worker claims its WORKER_GROUP_ID in
				// the control plane and joins the running phase.
				{Action: "Ignore", OnPodConditions: []kubeOnPodConditionsPattern{{Type: "DisruptionTarget", Status: "True"}}},
				// A worker that fails has failed the run: end the Job.
				{Action: "FailJob", OnExitCodes: &kubeOnExitCodes{ContainerName: workerContainer, Operator: "NotIn", Values: []int32{0}}},
			}},
			TTLSecondsAfterFinished: ptr(int32(o.TTL.Seconds())),
			Template: kubePodTemplateSpec{
				Metadata: kubeMeta{Labels: labels("worker")},
				Spec: in.kubePodSpec(o, cmName, kubeContainer{
					Name: workerContainer, Image: o.Image,
					// JOB_COMPLETION_INDEX is set by Kubernetes in an
					// Indexed Job; the worker reads it as a hint.
					Args:      in.workerArgs(o, "-id", "$(POD_NAME)"),
					Env:       workerEnv,
					Resources: kubeResources{Requests: map[string]string{"cpu": kubeCPU(wr.MilliCPU), "memory": kubeMemory(wr.MemoryMi)}, Limits: map[string]string{"memory": kubeMemory(2 * wr.MemoryMi)}},
				}),
			},
		},
	}
	orchJob := kubeJob{APIVersion: "batch/v1", Kind: "Job",
		Metadata: kubeMeta{Name: base + "-orchestrator", Namespace: o.Namespace, Labels: labels("orchestrator")},
		Spec: kubeJobSpec{
			Completions:             ptr(int32(1)),
			Parallelism:             ptr(int32(1)),
			BackoffLimit:            ptr(int32(0)),
			TTLSecondsAfterFinished: ptr(int32(o.TTL.Seconds())),
			Template: kubePodTemplateSpec{
				Metadata: kubeMeta{Labels: labels("orchestrator")},
				Spec: in.kubePodSpec(o, cmName, kubeContainer{
					Name: orchestratorContainer, Image: o.Image,
					Args: in.orchestratorArgs(o),
					Env:  in.kubeSecretEnv(o),
					Resources: kubeResources{
						Requests: map[string]string{"cpu": kubeCPU(orchestratorResources.MilliCPU), "memory": kubeMemory(orchestratorResources.MemoryMi)},
						Limits:   map[string]string{"memory": kubeMemory(2 * orchestratorResources.MemoryMi)},
					},
				}),
			},
		},
	}

	r := &Rendering{Target: Kubernetes, RunID: o.RunID}
	for _, ob := range []struct {
		file, kind string
		v          any
	}{{"configmap.yaml", "ConfigMap", cm}, {"orchestrator-job.yaml", "Job", orchJob}, {"workers-job.yaml", "Job", workerJob}} {
		b, err := yaml.Marshal(ob.v)
		if err != nil {
			return nil, err
		}
		r.Objects = append(r.Objects, Object{File: ob.file, Kind: ob.kind, Body: b})
	}
	r.Notes = in.kubeNotes(o)
	var s bytes.Buffer
	for _, n := range r.Notes {
		s.WriteString(strings.TrimRight("# "+n, " ") + "\n")
	}
	for _, ob := range r.Objects {
		s.WriteString("---\n")
		s.Write(ob.Body)
	}
	r.Stream = s.Bytes()
	return r, nil
}

// kubePodSpec is the pod both Jobs run: non-root, read-only root
// filesystem with an emptyDir /tmp and home, the files read-only.
func (in *inputs) kubePodSpec(o Options, configMap string, c kubeContainer) kubePodSpec {
	c.VolumeMounts = []kubeVolumeMount{
		{Name: "scenario", MountPath: ScenarioDir, ReadOnly: true},
		{Name: "tmp", MountPath: "/tmp"},
		{Name: "home", MountPath: imageHome},
	}
	c.SecurityContext = &kubeSecurityContext{
		AllowPrivilegeEscalation: ptr(false),
		ReadOnlyRootFilesystem:   ptr(true),
		Capabilities:             &kubeCapabilities{Drop: []string{"ALL"}},
	}
	return kubePodSpec{
		RestartPolicy:                 "Never",
		AutomountServiceAccountToken:  ptr(false),
		TerminationGracePeriodSeconds: ptr(int64(workerGracePeriod)),
		SecurityContext: &kubePodSecurityContext{
			RunAsNonRoot:   ptr(true),
			RunAsUser:      ptr(int64(imageUID)),
			RunAsGroup:     ptr(int64(imageUID)),
			FSGroup:        ptr(int64(imageUID)),
			SeccompProfile: &kubeSeccompProfile{Type: "RuntimeDefault"},
		},
		Containers: []kubeContainer{c},
		Volumes: []kubeVolume{
			{Name: "scenario", ConfigMap: &kubeConfigMapSource{Name: configMap}},
			{Name: "tmp", EmptyDir: &struct{}{}},
			{Name: "home", EmptyDir: &struct{}{}},
		},
	}
}

// The image's user and home (internal/ociimage, Dockerfile).
const (
	imageUID  = 65532
	imageHome = "/home/fbctl"
)

// kubeSecretEnv references one key of the Secret per variable.
func (in *inputs) kubeSecretEnv(o Options) []kubeEnvVar {
	var env []kubeEnvVar
	for _, v := range in.env {
		ref := &kubeSecretKeySelector{Name: o.Secret, Key: v.Name}
		if v.Optional {
			ref.Optional = ptr(true)
		}
		env = append(env, kubeEnvVar{Name: v.Name, ValueFrom: &kubeEnvVarSource{SecretKeyRef: ref}})
	}
	return env
}

func (in *inputs) kubeNotes(o Options) []string {
	ns := ""
	if o.Namespace != "" {
		ns = " -n " + o.Namespace
	}
	notes := []string{
		fmt.Sprintf("fbctl deployment of scenario %q as run %s: %s (Indexed Job) and the orchestrator (Job).", in.run.Scenario, o.RunID, plural(in.run.Workers, "worker")),
		fmt.Sprintf("Rendered from the plan by fbctl %s. Image: %s", o.ToolVersion, o.Image),
	}
	if len(in.env) > 0 {
		notes = append(notes, fmt.Sprintf("The Secret %q must hold one key per environment variable below (values are never rendered):", o.Secret))
		var create strings.Builder
		fmt.Fprintf(&create, "  kubectl%s create secret generic %s", ns, o.Secret)
		for _, v := range in.env {
			opt := ""
			if v.Optional {
				opt = " (optional: the files have a fallback)"
			}
			notes = append(notes, fmt.Sprintf("  %-28s %s%s", v.Name, strings.Join(v.For, ", "), opt))
			fmt.Fprintf(&create, " --from-literal=%s=...", v.Name)
		}
		notes = append(notes, "for example:", create.String())
	}
	notes = append(notes,
		fmt.Sprintf("Apply: kubectl%s apply -f <this output or the -o directory>", ns),
		fmt.Sprintf("Follow: kubectl%s get jobs,pods -l %s=%s; fbctl show %s", ns, LabelRunID, o.RunID, o.RunID),
	)
	return notes
}

// labelValue makes s a valid label value: at most 63 characters of
// [A-Za-z0-9_.-], starting and ending with a letter or digit.
func labelValue(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '.', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	v := b.String()
	if len(v) > 63 {
		v = v[:63]
	}
	return strings.Trim(v, "_.-")
}

func plural(n int64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func ptr[T any](v T) *T { return &v }
