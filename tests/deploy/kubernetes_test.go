package deploy

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

var kubeDir = filepath.Join(root, "deploy", "kubernetes")

// kustomization is the part of kustomize's file the manifests use.
type kustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Resources  []string `json:"resources"`
}

// manifests is every file in deploy/kubernetes, decoded strictly into the
// Kubernetes type its kind names: a field Kubernetes does not know, or a
// value of the wrong type, fails the test.
type manifests struct {
	kustomization kustomization
	configMaps    map[string]*corev1.ConfigMap
	secrets       map[string]*corev1.Secret
	deployments   map[string]*appsv1.Deployment
	services      map[string]*corev1.Service
	pdbs          map[string]*policyv1.PodDisruptionBudget
	pvcs          map[string]*corev1.PersistentVolumeClaim
	objects       map[string]metav1.Object // by file name
}

func readManifests(t *testing.T) manifests {
	t.Helper()
	m := manifests{configMaps: map[string]*corev1.ConfigMap{}, secrets: map[string]*corev1.Secret{},
		deployments: map[string]*appsv1.Deployment{}, services: map[string]*corev1.Service{},
		pdbs: map[string]*policyv1.PodDisruptionBudget{}, pvcs: map[string]*corev1.PersistentVolumeClaim{},
		objects: map[string]metav1.Object{}}
	files, err := os.ReadDir(kubeDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := f.Name()
		if f.IsDir() || !(strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")) {
			t.Errorf("%s: deploy/kubernetes holds YAML manifests only", name)
			continue
		}
		data, err := os.ReadFile(filepath.Join(kubeDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), "\n---") {
			t.Errorf("%s: one object a file, please", name)
		}
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(data, &tm); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var obj metav1.Object
		var target any
		switch kind := tm.APIVersion + " " + tm.Kind; kind {
		case "kustomize.config.k8s.io/v1beta1 Kustomization":
			target = &m.kustomization
		case "v1 ConfigMap":
			o := &corev1.ConfigMap{}
			target, obj = o, o
		case "v1 Secret":
			o := &corev1.Secret{}
			target, obj = o, o
		case "apps/v1 Deployment":
			o := &appsv1.Deployment{}
			target, obj = o, o
		case "v1 Service":
			o := &corev1.Service{}
			target, obj = o, o
		case "policy/v1 PodDisruptionBudget":
			o := &policyv1.PodDisruptionBudget{}
			target, obj = o, o
		case "v1 PersistentVolumeClaim":
			o := &corev1.PersistentVolumeClaim{}
			target, obj = o, o
		default:
			t.Fatalf("%s: a %q the test does not know; add its type here", name, kind)
		}
		if err := decodeStrict(data, target); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		switch o := target.(type) {
		case *corev1.ConfigMap:
			m.configMaps[o.Name] = o
		case *corev1.Secret:
			m.secrets[o.Name] = o
		case *appsv1.Deployment:
			m.deployments[o.Name] = o
		case *corev1.Service:
			m.services[o.Name] = o
		case *policyv1.PodDisruptionBudget:
			m.pdbs[o.Name] = o
		case *corev1.PersistentVolumeClaim:
			m.pvcs[o.Name] = o
		}
		if obj != nil {
			m.objects[name] = obj
		}
	}
	return m
}

// decodeStrict decodes as the API server does when it is strict: a field
// the type does not have, a field named in the wrong case or a key given
// twice is an error.
func decodeStrict(data []byte, target any) error {
	j, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return err
	}
	strictErrs, err := kjson.UnmarshalStrict(j, target)
	if err != nil {
		return err
	}
	return errors.Join(strictErrs...)
}

// secretTemplate is the file that shows the Secret's keys, never applied.
const secretTemplate = "secret.example.yaml"

// TestKubernetesManifests decodes every manifest strictly and checks the
// kustomization applies each of them but the Secret's template.
func TestKubernetesManifests(t *testing.T) {
	m := readManifests(t)
	if m.kustomization.Kind == "" {
		t.Fatal("deploy/kubernetes has no kustomization.yaml")
	}
	var want []string
	for name := range m.objects {
		if name != secretTemplate {
			want = append(want, name)
		}
	}
	got := slices.Clone(m.kustomization.Resources)
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("kustomization.yaml applies %v; want every manifest but %s: %v", got, secretTemplate, want)
	}
	for name, obj := range m.objects {
		if obj.GetNamespace() != "" {
			t.Errorf("%s: names namespace %q; the manifests go into the namespace kubectl -n gives", name, obj.GetNamespace())
		}
		if obj.GetLabels()["app.kubernetes.io/name"] != "larder" {
			t.Errorf("%s: no app.kubernetes.io/name: larder label", name)
		}
	}
	for _, kind := range []struct {
		what string
		n    int
	}{{"ConfigMap", len(m.configMaps)}, {"Secret", len(m.secrets)}, {"Deployment", len(m.deployments)},
		{"Service", len(m.services)}} {
		if kind.n == 0 {
			t.Errorf("deploy/kubernetes has no %s", kind.what)
		}
	}
}

// TestKubernetesSecret: the Secret's template holds no value, and every key
// is a variable Larder reads; every secret setting has its key there.
func TestKubernetesSecret(t *testing.T) {
	k := larderKnows(t)
	m := readManifests(t)
	s := m.secrets["larder"]
	if s == nil {
		t.Fatal("no Secret named larder in " + secretTemplate)
	}
	if len(s.Data) > 0 {
		t.Errorf("%s: has data; a template holds empty stringData only", secretTemplate)
	}
	for key, v := range s.StringData {
		if v != "" {
			t.Errorf("%s: %s holds a value; no secret is kept in the repository", secretTemplate, key)
		}
		if !k.envs[key] {
			t.Errorf("%s: %s is not a variable Larder reads", secretTemplate, key)
		}
	}
	for key := range k.secret {
		if strings.HasPrefix(key, "temporal.embedded.") {
			continue // the pods use a Temporal cluster, never the embedded server
		}
		if _, ok := s.StringData[k.keyEnvs[key]]; !ok {
			t.Errorf("%s: no %s, for the secret setting %s", secretTemplate, k.keyEnvs[key], key)
		}
	}
}

// larderConfig is the config file the ConfigMap holds, by its keys.
func larderConfig(t *testing.T, k known, m manifests) (*corev1.ConfigMap, map[string]any) {
	t.Helper()
	cm := m.configMaps["larder-config"]
	if cm == nil {
		t.Fatal("no ConfigMap named larder-config")
	}
	data, ok := cm.Data["larder.yaml"]
	if !ok || len(cm.Data) != 1 {
		t.Fatalf("ConfigMap larder-config holds %d files; want larder.yaml alone", len(cm.Data))
	}
	keys := checkConfig(t, k, "ConfigMap larder-config larder.yaml", []byte(data))
	for key := range keys {
		if k.secret[key] {
			t.Errorf("ConfigMap larder-config: %s is a secret; it belongs in the Secret as %s", key, k.keyEnvs[key])
		}
	}
	return cm, keys
}

// TestKubernetesDeployments holds the web and the worker to Larder: its
// commands, its settings and variables, the config file where --config
// says, probes on the port http.address serves (a worker's on
// worker.metrics_address), resources and a
// locked-down container whose writable folders are mounted.
func TestKubernetesDeployments(t *testing.T) {
	k := larderKnows(t)
	m := readManifests(t)
	_, cfg := larderConfig(t, k, m)
	dataDir, _ := cfg["data_dir"].(string)
	addr, _ := cfg["http.address"].(string)
	_, port, _ := strings.Cut(addr, ":")
	if dataDir == "" || port == "" {
		t.Fatalf("the ConfigMap's larder.yaml sets data_dir %q and http.address %q; both are needed", dataDir, addr)
	}
	seen := map[string]bool{}
	for name, d := range m.deployments {
		t.Run(name, func(t *testing.T) {
			spec := d.Spec.Template.Spec
			if len(spec.Containers) != 1 {
				t.Fatalf("%d containers; want one", len(spec.Containers))
			}
			c := spec.Containers[0]
			if len(c.Command) < 2 || c.Command[0] != "/usr/local/bin/larder" || (c.Command[1] != "web" && c.Command[1] != "worker") {
				t.Fatalf("command %q; want larder web or larder worker", c.Command)
			}
			role := c.Command[1]
			seen[role] = true
			if name != "larder-"+role {
				t.Errorf("runs larder %s but is named %s", role, name)
			}
			podLabels := d.Spec.Template.Labels
			if podLabels["app.kubernetes.io/component"] != role {
				t.Errorf("pods labelled component %q; want %q", podLabels["app.kubernetes.io/component"], role)
			}
			sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
			if err != nil || !sel.Matches(labels.Set(podLabels)) {
				t.Errorf("selector %v does not match its pods' labels %v", d.Spec.Selector, podLabels)
			}
			checkFlags(t, k, c.Command[2:], c.Args)
			checkConfigMount(t, c, spec.Volumes, append(slices.Clone(c.Command[2:]), c.Args...))
			for _, e := range c.Env {
				if !k.envs[e.Name] {
					t.Errorf("env %s is not a variable Larder reads", e.Name)
				}
			}
			hasSecret := false
			for _, from := range c.EnvFrom {
				if from.SecretRef != nil && from.SecretRef.Name == "larder" {
					hasSecret = true
					if from.SecretRef.Optional != nil && *from.SecretRef.Optional {
						t.Error("the larder Secret is optional; without it the pods would make keys of their own")
					}
				}
				if from.Prefix != "" || from.ConfigMapRef != nil {
					t.Errorf("envFrom %+v: Larder's settings come from the config file and the larder Secret", from)
				}
			}
			if !hasSecret {
				t.Error("does not read the larder Secret (envFrom secretRef larder)")
			}
			checkResources(t, role, c.Resources)
			checkLockedDown(t, spec, c, dataDir)
			served := port
			if role == "worker" {
				// A worker serves its probes and metrics on worker.metrics_address.
				metricsAddr, _ := cfg["worker.metrics_address"].(string)
				_, served, _ = strings.Cut(metricsAddr, ":")
			}
			checkProbes(t, role, c, served)
			if role == "web" && (d.Spec.Replicas == nil || *d.Spec.Replicas < 2) {
				t.Error("the web runs fewer than 2 replicas; one pod's restart would turn residents away")
			}
		})
	}
	if !seen["web"] || !seen["worker"] {
		t.Errorf("Deployments run %v; want both larder web and larder worker", seen)
	}
}

// checkFlags: every flag given is one of Larder's.
func checkFlags(t *testing.T, k known, lists ...[]string) {
	t.Helper()
	for _, args := range lists {
		for _, a := range args {
			if !strings.HasPrefix(a, "-") {
				continue
			}
			name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
			if !k.flags[name] {
				t.Errorf("flag %s is not one of Larder's", a)
			}
		}
	}
}

// checkConfigMount: --config names larder.yaml in a mounted larder-config.
func checkConfigMount(t *testing.T, c corev1.Container, volumes []corev1.Volume, args []string) {
	t.Helper()
	i := slices.Index(args, "--config")
	if i < 0 || i+1 >= len(args) {
		t.Error("no --config: Larder would look for larder.yaml in the folder it starts in")
		return
	}
	dir, file := filepath.Split(args[i+1])
	for _, vm := range c.VolumeMounts {
		if filepath.Clean(vm.MountPath) != filepath.Clean(dir) {
			continue
		}
		for _, v := range volumes {
			if v.Name == vm.Name && v.ConfigMap != nil && v.ConfigMap.Name == "larder-config" && file == "larder.yaml" {
				return
			}
		}
	}
	t.Errorf("--config %s is not larder.yaml of the larder-config ConfigMap as mounted", args[i+1])
}

func checkResources(t *testing.T, role string, r corev1.ResourceRequirements) {
	t.Helper()
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, ok := r.Requests[name]
		if !ok || req.IsZero() {
			t.Errorf("no %s request", name)
		}
		if lim, ok := r.Limits[name]; !ok {
			t.Errorf("no %s limit", name)
		} else if lim.Cmp(req) < 0 {
			t.Errorf("%s limit %s below its request %s", name, lim.String(), req.String())
		}
	}
	if role == "worker" {
		// Measured: 965 MB with 5,000 cases waiting in the workflow cache.
		if lim := r.Limits[corev1.ResourceMemory]; lim.Cmp(resource.MustParse("1Gi")) < 0 {
			t.Errorf("the worker's memory limit %s is under 1Gi, less than 5,000 waiting cases take", lim.String())
		}
	}
}

// checkLockedDown: not root, no privilege, a read-only root file system
// with data_dir and /tmp mounted writable, and every mount a volume.
func checkLockedDown(t *testing.T, spec corev1.PodSpec, c corev1.Container, dataDir string) {
	t.Helper()
	psc, sc := spec.SecurityContext, c.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
		t.Error("pods may run as root: set runAsNonRoot and a numeric runAsUser (the image's user has a name only)")
	}
	if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
		t.Error("container not locked down: allowPrivilegeEscalation false, readOnlyRootFilesystem true, capabilities drop ALL")
	}
	if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		t.Error("Larder does not call Kubernetes: automountServiceAccountToken false")
	}
	vols := map[string]bool{}
	for _, v := range spec.Volumes {
		vols[v.Name] = true
	}
	writable := map[string]bool{}
	for _, vm := range c.VolumeMounts {
		if !vols[vm.Name] {
			t.Errorf("mount %s names no volume", vm.Name)
		}
		if !vm.ReadOnly {
			writable[filepath.Clean(vm.MountPath)] = true
		}
	}
	for _, dir := range []string{dataDir, "/tmp"} {
		if !writable[filepath.Clean(dir)] {
			t.Errorf("%s is not mounted writable, and the root file system is read-only", dir)
		}
	}
}

// checkProbes: readiness asks /readyz, liveness and startup /healthz, on
// the port the container declares and http.address serves. The web must
// have readiness and liveness; the worker, if it has probes, the same.
func checkProbes(t *testing.T, role string, c corev1.Container, port string) {
	t.Helper()
	ports := map[string]bool{}
	for _, p := range c.Ports {
		if fmt.Sprint(p.ContainerPort) != port {
			t.Errorf("container port %d is not the port the %s serves (http.address, or worker.metrics_address for a worker), %q", p.ContainerPort, role, port)
		}
		ports[fmt.Sprint(p.ContainerPort)] = true
		if p.Name != "" {
			ports[p.Name] = true
		}
	}
	for _, p := range []struct {
		what, path string
		probe      *corev1.Probe
	}{{"readiness", "/readyz", c.ReadinessProbe}, {"liveness", "/healthz", c.LivenessProbe}, {"startup", "/healthz", c.StartupProbe}} {
		if p.probe == nil {
			if p.what != "startup" && (role == "web" || port != "") {
				t.Errorf("no %s probe", p.what)
			}
			continue
		}
		g := p.probe.HTTPGet
		if g == nil {
			t.Errorf("%s probe is not an HTTP GET of %s", p.what, p.path)
			continue
		}
		if g.Path != p.path {
			t.Errorf("%s probe asks %s; want %s", p.what, g.Path, p.path)
		}
		if !ports[g.Port.String()] {
			t.Errorf("%s probe asks port %s, which the container does not declare", p.what, g.Port.String())
		}
	}
}

// TestKubernetesService: the Service sends to the web pods' named port,
// and the disruption budget and the uploads claim fit the web.
func TestKubernetesService(t *testing.T) {
	m := readManifests(t)
	web := m.deployments["larder-web"]
	if web == nil {
		t.Fatal("no larder-web Deployment")
	}
	podLabels := labels.Set(web.Spec.Template.Labels)
	c := web.Spec.Template.Spec.Containers[0]
	for name, s := range m.services {
		if len(s.Spec.Selector) == 0 {
			t.Errorf("Service %s selects nothing", name)
		}
		for k, v := range s.Spec.Selector {
			if podLabels[k] != v {
				t.Errorf("Service %s selects %s=%s, which the web pods do not carry", name, k, v)
			}
		}
		if web.Spec.Template.Labels["app.kubernetes.io/component"] != s.Spec.Selector["app.kubernetes.io/component"] {
			t.Errorf("Service %s would also select the worker's pods", name)
		}
		for _, p := range s.Spec.Ports {
			ok := false
			for _, cp := range c.Ports {
				ok = ok || (p.TargetPort.Type == intstr.String && p.TargetPort.StrVal == cp.Name) ||
					(p.TargetPort.Type == intstr.Int && p.TargetPort.IntVal == cp.ContainerPort)
			}
			if !ok {
				t.Errorf("Service %s port %d targets %s, which the web container does not declare", name, p.Port, p.TargetPort.String())
			}
		}
	}
	for name, b := range m.pdbs {
		sel, err := metav1.LabelSelectorAsSelector(b.Spec.Selector)
		if err != nil || !sel.Matches(podLabels) {
			t.Errorf("PodDisruptionBudget %s does not select the web pods", name)
		}
		if b.Spec.MinAvailable != nil && web.Spec.Replicas != nil && b.Spec.MinAvailable.IntValue() >= int(*web.Spec.Replicas) {
			t.Errorf("PodDisruptionBudget %s keeps every web pod: no node could drain", name)
		}
	}
	for _, v := range web.Spec.Template.Spec.Volumes {
		if v.PersistentVolumeClaim == nil {
			continue
		}
		pvc := m.pvcs[v.PersistentVolumeClaim.ClaimName]
		if pvc == nil {
			t.Errorf("volume %s claims %s, which no manifest makes", v.Name, v.PersistentVolumeClaim.ClaimName)
			continue
		}
		if !slices.Contains(pvc.Spec.AccessModes, corev1.ReadWriteMany) {
			t.Errorf("claim %s is not ReadWriteMany; every web pod must see residents' uploads", pvc.Name)
		}
	}
}
