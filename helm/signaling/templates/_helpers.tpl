{{/* Names, labels and the shared pieces of the three Deployments. */}}

{{- define "signaling.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "signaling.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "signaling.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "signaling.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/* Selector labels of one component; call with (dict "root" $ "component" "gateway"). */}}
{{- define "signaling.selectorLabels" -}}
app.kubernetes.io/name: {{ include "signaling.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "signaling.labels" -}}
{{ include "signaling.selectorLabels" . }}
app.kubernetes.io/part-of: signaling
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
{{- end }}

{{- define "signaling.image" -}}
{{- printf "%s:%s" .image.repository (default .root.Chart.AppVersion .image.tag) }}
{{- end }}

{{/*
A flag value as the flag parser expects it. Helm reads numbers from YAML as
float64, and text/template prints 1048576.0 as 1.048576e+06, which an int
flag refuses: integral numbers are printed as integers. Lists are joined
with commas (the flags' list syntax).
*/}}
{{- define "signaling.flagValue" -}}
{{- if kindIs "slice" . }}{{ join "," . }}
{{- else if and (kindIs "float64" .) (eq . (float64 (int64 .))) }}{{ int64 . }}
{{- else }}{{ . }}
{{- end }}
{{- end }}

{{/* One env entry per key of a `config` map: SIGNALING_<KEY>. */}}
{{- define "signaling.configEnv" -}}
{{- range $key, $value := . }}
- name: SIGNALING_{{ upper $key }}
  value: {{ include "signaling.flagValue" $value | quote }}
{{- end }}
{{- end }}

{{/* Name of a TLS-like Secret: the existing one, or the one this chart creates. */}}
{{- define "signaling.secretName" -}}
{{- if .cfg.existingSecret }}{{ .cfg.existingSecret }}{{ else }}{{ include "signaling.fullname" .root }}-{{ .suffix }}{{ end }}
{{- end }}

{{/* gRPC TLS file paths, where the gRPC Secret is mounted. */}}
{{- define "signaling.grpcDir" -}}/etc/signaling/grpc{{- end }}

{{/*
Pod and container hardening shared by the three Deployments: non-root
(the images' uid 10001), nothing writable but /tmp, no capabilities, no
privilege gain, the runtime's default seccomp profile.
*/}}
{{- define "signaling.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
# Mounted Secrets become group-readable by the service's user.
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "signaling.containerSecurityContext" -}}
runAsNonRoot: true
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Probes on the admin port: /readyz turns 503 while draining. */}}
{{- define "signaling.probes" -}}
readinessProbe:
  httpGet: {path: /readyz, port: admin}
  periodSeconds: 5
  failureThreshold: 2
livenessProbe:
  httpGet: {path: /healthz, port: admin}
  periodSeconds: 10
  failureThreshold: 3
{{- end }}

{{/* preStop sleep: endpoint removal reaches every client before SIGTERM. */}}
{{- define "signaling.lifecycle" -}}
lifecycle:
  preStop:
    exec:
      command: [sleep, {{ . | int64 | quote }}]
{{- end }}

{{/* Scheduling and pull settings of one component's pod spec. */}}
{{- define "signaling.podScheduling" -}}
{{- with .root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .cfg.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .cfg.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .cfg.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
A kubernetes.io/tls Secret from values, unless .cfg names an existingSecret.
Call with root, cfg, suffix, component, path (for messages), pair (tls.crt and
tls.key required) and ca (ca.crt required).
*/}}
{{- define "signaling.tlsSecret" -}}
{{- if not .cfg.existingSecret }}
---
apiVersion: v1
kind: Secret
metadata:
  name: {{ include "signaling.fullname" .root }}-{{ .suffix }}
  labels:
    {{- include "signaling.labels" (dict "root" .root "component" .component) | nindent 4 }}
type: kubernetes.io/tls
data:
  {{- if .pair }}
  tls.crt: {{ required (printf "%s.cert (PEM) or %s.existingSecret is required" .path .path) .cfg.cert | b64enc }}
  tls.key: {{ required (printf "%s.key (PEM) or %s.existingSecret is required" .path .path) .cfg.key | b64enc }}
  {{- else }}
  {{- /* kubernetes.io/tls requires both keys; a CA-only client has no pair. */}}
  tls.crt: {{ .cfg.cert | default "" | b64enc | quote }}
  tls.key: {{ .cfg.key | default "" | b64enc | quote }}
  {{- end }}
  {{- if .ca }}
  ca.crt: {{ required (printf "%s.ca (PEM) or %s.existingSecret is required" .path .path) .cfg.ca | b64enc }}
  {{- end }}
{{- end }}
{{- end }}

{{/*
Cluster mode and where its Redis comes from. "signaling.cluster" and
"signaling.redisDeployed" print "true" or nothing (use them in `if`).
The chart's Redis: a StatefulSet <fullname>-redis whose pods are named
through the headless Service <fullname>-redis-headless.
*/}}
{{- define "signaling.cluster" -}}
{{- if .Values.matching.cluster.enabled }}true{{ end }}
{{- end }}

{{- define "signaling.redisDeployed" -}}
{{- if and .Values.matching.cluster.enabled .Values.redis.enabled }}true{{ end }}
{{- end }}

{{/* Refuses value sets that name no Redis, or two, or several lone replicas. */}}
{{- define "signaling.checkCluster" -}}
{{- $c := .Values.matching.cluster }}
{{- if not $c.enabled }}
{{- if ne (int64 .Values.matching.replicas) 1 }}
{{- fail "matching.replicas must be 1 without matching.cluster.enabled: one replica alone owns every pairing" }}
{{- end }}
{{- else }}
{{- $external := or $c.redis $c.sentinels }}
{{- if and $c.redis $c.sentinels }}
{{- fail "matching.cluster: give redis or sentinels, not both" }}
{{- end }}
{{- if and .Values.redis.enabled $external }}
{{- fail "matching.cluster.redis/sentinels name an external Redis: set redis.enabled=false" }}
{{- end }}
{{- if not (or .Values.redis.enabled $external) }}
{{- fail "matching.cluster.enabled needs Redis: redis.enabled=true, or an external one in matching.cluster.redis or matching.cluster.sentinels" }}
{{- end }}
{{- if and .Values.redis.enabled (not .Values.redis.auth.existingSecret) (not .Values.redis.auth.password) }}
{{- fail "redis.auth.existingSecret or redis.auth.password is required" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "signaling.redisHeadless" -}}
{{ include "signaling.fullname" . }}-redis-headless
{{- end }}

{{/* DNS name of the chart's Redis pod number .i; call with (dict "root" $ "i" N). */}}
{{- define "signaling.redisPodHost" -}}
{{ include "signaling.fullname" .root }}-redis-{{ .i }}.{{ include "signaling.redisHeadless" .root }}.{{ .root.Release.Namespace }}.svc.{{ .root.Values.clusterDomain }}
{{- end }}

{{/* Redis nodes of the chart: one, or sentinel.replicas. */}}
{{- define "signaling.redisReplicas" -}}
{{- if .Values.redis.sentinel.enabled }}{{ .Values.redis.sentinel.replicas | int64 }}{{ else }}1{{ end }}
{{- end }}

{{/* The Secret holding the chart's Redis password, and its key. */}}
{{- define "signaling.redisSecretName" -}}
{{- if .Values.redis.auth.existingSecret }}{{ .Values.redis.auth.existingSecret }}{{ else }}{{ include "signaling.fullname" . }}-redis{{ end }}
{{- end }}

{{/*
Matching's Redis settings as a dict: redis (host:port or ""), sentinels
(list), master, user, secret and key of the password ("" secret: none).
*/}}
{{- define "signaling.redisClient" -}}
{{- $c := .Values.matching.cluster }}
{{- if .Values.redis.enabled }}
{{- $sentinels := list }}
{{- $redis := "" }}
{{- if .Values.redis.sentinel.enabled }}
{{- range $i := until (int (include "signaling.redisReplicas" .)) }}
{{- $sentinels = append $sentinels (printf "%s:%d" (include "signaling.redisPodHost" (dict "root" $ "i" $i)) ($.Values.redis.sentinel.port | int64)) }}
{{- end }}
{{- else }}
{{- $redis = printf "%s-redis.%s.svc:%d" (include "signaling.fullname" .) .Release.Namespace (.Values.redis.port | int64) }}
{{- end }}
{{- toJson (dict "redis" $redis "sentinels" $sentinels "master" $c.master "user" "" "secret" (include "signaling.redisSecretName" .) "key" .Values.redis.auth.key) }}
{{- else }}
{{- toJson (dict "redis" $c.redis "sentinels" $c.sentinels "master" $c.master "user" $c.user "secret" $c.passwordSecret.name "key" $c.passwordSecret.key) }}
{{- end }}
{{- end }}

{{/* What gateways dial: every ready replica (headless, re-resolved), or the one. */}}
{{- define "signaling.matchingTarget" -}}
{{- $fullname := include "signaling.fullname" . }}
{{- $port := .Values.matching.port | int64 }}
{{- if .Values.gateway.matchingTarget }}{{ .Values.gateway.matchingTarget }}
{{- else if .Values.matching.cluster.enabled }}dns:///{{ $fullname }}-matching-headless.{{ .Release.Namespace }}.svc.{{ .Values.clusterDomain }}:{{ $port }}
{{- else }}{{ $fullname }}-matching.{{ .Release.Namespace }}.svc:{{ $port }}
{{- end }}
{{- end }}
