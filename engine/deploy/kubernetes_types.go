package deploy

// The subset of the Kubernetes API (batch/v1 Job, core/v1 ConfigMap and
// pod template) the renderer writes. The field names are the API's; the
// tests decode every rendered object strictly into k8s.io/api types, so a
// field that is not the API's fails them. Keeping our own small structs
// keeps k8s.io/api out of the fbctl binary.

type kubeMeta struct {
	Name        string            `json:"name,omitempty"`
	Namespace   string            `json:"namespace,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

type kubeConfigMap struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   kubeMeta          `json:"metadata"`
	Data       map[string]string `json:"data"`
}

type kubeJob struct {
	APIVersion string      `json:"apiVersion"`
	Kind       string      `json:"kind"`
	Metadata   kubeMeta    `json:"metadata"`
	Spec       kubeJobSpec `json:"spec"`
}

type kubeJobSpec struct {
	CompletionMode          string                `json:"completionMode,omitempty"`
	Completions             *int32                `json:"completions"`
	Parallelism             *int32                `json:"parallelism"`
	BackoffLimit            *int32                `json:"backoffLimit,omitempty"`
	BackoffLimitPerIndex    *int32                `json:"backoffLimitPerIndex,omitempty"`
	MaxFailedIndexes        *int32                `json:"maxFailedIndexes,omitempty"`
	PodReplacementPolicy    string                `json:"podReplacementPolicy,omitempty"`
	PodFailurePolicy        *kubePodFailurePolicy `json:"podFailurePolicy,omitempty"`
	TTLSecondsAfterFinished *int32                `json:"ttlSecondsAfterFinished,omitempty"`
	Template                kubePodTemplateSpec   `json:"template"`
}

type kubePodFailurePolicy struct {
	Rules []kubePodFailurePolicyRule `json:"rules"`
}

type kubePodFailurePolicyRule struct {
	Action          string                       `json:"action"`
	OnExitCodes     *kubeOnExitCodes             `json:"onExitCodes,omitempty"`
	OnPodConditions []kubeOnPodConditionsPattern `json:"onPodConditions,omitempty"`
}

type kubeOnExitCodes struct {
	ContainerName string  `json:"containerName,omitempty"`
	Operator      string  `json:"operator"`
	Values        []int32 `json:"values"`
}

type kubeOnPodConditionsPattern struct {
	Type   string `json:"type"`
	Status string `json:"status"`
}

type kubePodTemplateSpec struct {
	Metadata kubeMeta    `json:"metadata"`
	Spec     kubePodSpec `json:"spec"`
}

type kubePodSpec struct {
	RestartPolicy                 string                  `json:"restartPolicy"`
	AutomountServiceAccountToken  *bool                   `json:"automountServiceAccountToken,omitempty"`
	TerminationGracePeriodSeconds *int64                  `json:"terminationGracePeriodSeconds,omitempty"`
	SecurityContext               *kubePodSecurityContext `json:"securityContext,omitempty"`
	Containers                    []kubeContainer         `json:"containers"`
	Volumes                       []kubeVolume            `json:"volumes,omitempty"`
}

type kubePodSecurityContext struct {
	RunAsNonRoot   *bool               `json:"runAsNonRoot,omitempty"`
	RunAsUser      *int64              `json:"runAsUser,omitempty"`
	RunAsGroup     *int64              `json:"runAsGroup,omitempty"`
	FSGroup        *int64              `json:"fsGroup,omitempty"`
	SeccompProfile *kubeSeccompProfile `json:"seccompProfile,omitempty"`
}

type kubeSeccompProfile struct {
	Type string `json:"type"`
}

type kubeContainer struct {
	Name            string               `json:"name"`
	Image           string               `json:"image"`
	Args            []string             `json:"args,omitempty"`
	Env             []kubeEnvVar         `json:"env,omitempty"`
	Resources       kubeResources        `json:"resources"`
	VolumeMounts    []kubeVolumeMount    `json:"volumeMounts,omitempty"`
	SecurityContext *kubeSecurityContext `json:"securityContext,omitempty"`
}

type kubeEnvVar struct {
	Name      string            `json:"name"`
	Value     string            `json:"value,omitempty"`
	ValueFrom *kubeEnvVarSource `json:"valueFrom,omitempty"`
}

type kubeEnvVarSource struct {
	SecretKeyRef *kubeSecretKeySelector `json:"secretKeyRef,omitempty"`
	FieldRef     *kubeFieldSelector     `json:"fieldRef,omitempty"`
}

type kubeSecretKeySelector struct {
	Name     string `json:"name"`
	Key      string `json:"key"`
	Optional *bool  `json:"optional,omitempty"`
}

type kubeFieldSelector struct {
	FieldPath string `json:"fieldPath"`
}

type kubeResources struct {
	Requests map[string]string `json:"requests,omitempty"`
	Limits   map[string]string `json:"limits,omitempty"`
}

type kubeVolumeMount struct {
	Name      string `json:"name"`
	MountPath string `json:"mountPath"`
	ReadOnly  bool   `json:"readOnly,omitempty"`
}

type kubeSecurityContext struct {
	AllowPrivilegeEscalation *bool             `json:"allowPrivilegeEscalation,omitempty"`
	ReadOnlyRootFilesystem   *bool             `json:"readOnlyRootFilesystem,omitempty"`
	Capabilities             *kubeCapabilities `json:"capabilities,omitempty"`
}

type kubeCapabilities struct {
	Drop []string `json:"drop,omitempty"`
}

type kubeVolume struct {
	Name      string               `json:"name"`
	ConfigMap *kubeConfigMapSource `json:"configMap,omitempty"`
	EmptyDir  *struct{}            `json:"emptyDir,omitempty"`
}

type kubeConfigMapSource struct {
	Name string `json:"name"`
}
