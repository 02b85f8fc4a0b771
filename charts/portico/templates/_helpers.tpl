{{/* Names and labels. */}}
{{- define "portico.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "portico.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "portico.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "portico.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "portico.selectorLabels" -}}
app.kubernetes.io/name: {{ include "portico.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "portico.labels" -}}
{{ include "portico.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "portico.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "portico.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The container name the AWS Load Balancer Controller injects the QUIC server ID into. */}}
{{- define "portico.containerName" -}}portico{{- end -}}

{{- define "portico.http3" -}}
{{- if .Values.ports.websecure.http3.enabled -}}true{{- end -}}
{{- end -}}

{{- define "portico.advertisedPort" -}}
{{- default .Values.ports.websecure.exposedPort .Values.ports.websecure.http3.advertisedPort -}}
{{- end -}}

{{/* "true" when Portico binds a port below 1024 inside the pod. */}}
{{- define "portico.bindsLowPort" -}}
{{- $low := false -}}
{{- range $name, $p := .Values.ports -}}
{{- if lt (int $p.port) 1024 -}}{{- $low = true -}}{{- end -}}
{{- end -}}
{{- if $low -}}true{{- end -}}
{{- end -}}

{{- define "portico.hostNetwork" -}}
{{- if and (eq .Values.service.layout "hostport") .Values.service.hostport.hostNetwork -}}true{{- end -}}
{{- end -}}

{{/* How a low port is allowed: "sysctl", "capability" or "" (no low port). */}}
{{- define "portico.lowPortMode" -}}
{{- if include "portico.bindsLowPort" . -}}
{{- if and .Values.securityContext.unprivilegedPortSysctl (not (include "portico.hostNetwork" .)) -}}sysctl{{- else -}}capability{{- end -}}
{{- end -}}
{{- end -}}

{{- define "portico.validate" -}}
{{- $layouts := list "mixed" "split" "aws-nlb" "hostport" -}}
{{- if not (has .Values.service.layout $layouts) -}}
{{- fail (printf "service.layout must be one of %s, got %q" (join ", " $layouts) .Values.service.layout) -}}
{{- end -}}
{{- if not (has .Values.kind (list "Deployment" "DaemonSet")) -}}
{{- fail (printf "kind must be Deployment or DaemonSet, got %q" .Values.kind) -}}
{{- end -}}
{{- if and (eq .Values.service.layout "split") .Values.service.enabled (not .Values.service.loadBalancerIP) (not .Values.service.split.sharedIPAnnotations) -}}
{{- fail "service.layout=split needs service.loadBalancerIP or service.split.sharedIPAnnotations so the TCP and UDP Services share one address (docs/http3-load-balancers.md)" -}}
{{- end -}}
{{- if and (eq .Values.service.layout "aws-nlb") (not .Values.ports.websecure.http3.enabled) -}}
{{- fail "service.layout=aws-nlb exists for QUIC; enable ports.websecure.http3.enabled or use layout mixed" -}}
{{- end -}}
{{- if and .Values.autoscaling.enabled (eq .Values.kind "DaemonSet") -}}
{{- fail "autoscaling applies to kind=Deployment only" -}}
{{- end -}}
{{- if and .Values.ingressRoute.dashboard.enabled (not .Values.api.dashboard) -}}
{{- fail "ingressRoute.dashboard.enabled routes to the dashboard: set api.dashboard=true too" -}}
{{- end -}}
{{- end -}}
