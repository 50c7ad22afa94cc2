package deploy

// The fields of a Snowpark Container Services service specification the
// renderer writes (docs.snowflake.com, "Service specification
// reference"). The tests decode every rendered specification strictly
// into their own copy of the documented fields.

type spcsSpecFile struct {
	Spec spcsSpec `json:"spec"`
}

type spcsSpec struct {
	Containers   []spcsContainer   `json:"containers"`
	Volumes      []spcsVolume      `json:"volumes,omitempty"`
	LogExporters *spcsLogExporters `json:"logExporters,omitempty"`
}

type spcsContainer struct {
	Name         string            `json:"name"`
	Image        string            `json:"image"`
	Args         []string          `json:"args,omitempty"`
	Env          map[string]string `json:"env,omitempty"`
	Resources    *spcsResources    `json:"resources,omitempty"`
	Secrets      []spcsSecret      `json:"secrets,omitempty"`
	VolumeMounts []spcsVolumeMount `json:"volumeMounts,omitempty"`
}

// spcsResources hold cpu as a number of vCPUs (0.5) and memory as a
// quantity string ("512Mi"), as the reference's examples write them.
type spcsResources struct {
	Requests map[string]any `json:"requests,omitempty"`
	Limits   map[string]any `json:"limits,omitempty"`
}

// spcsSecret is the envVarName form: one key of a Snowflake secret object
// as one environment variable.
type spcsSecret struct {
	SnowflakeSecret spcsSecretObject `json:"snowflakeSecret"`
	SecretKeyRef    string           `json:"secretKeyRef"`
	EnvVarName      string           `json:"envVarName"`
}

type spcsSecretObject struct {
	ObjectName string `json:"objectName"`
}

type spcsVolume struct {
	Name        string           `json:"name"`
	Source      string           `json:"source"`
	StageConfig *spcsStageConfig `json:"stageConfig,omitempty"`
}

type spcsStageConfig struct {
	Name string `json:"name"`
}

type spcsVolumeMount struct {
	Name      string `json:"name"`
	MountPath string `json:"mountPath"`
}

type spcsLogExporters struct {
	EventTableConfig spcsEventTableConfig `json:"eventTableConfig"`
}

type spcsEventTableConfig struct {
	LogLevel string `json:"logLevel"`
}
