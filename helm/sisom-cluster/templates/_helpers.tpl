{{/* Object names: <release>-<role>, e.g. sisom-worker (the names of deploy/k8s/base with the release "sisom"). */}}
{{- define "sisom.name" -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}

{{- define "sisom.selectorLabels" -}}
app.kubernetes.io/name: sisom-cluster
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "sisom.labels" -}}
{{ include "sisom.selectorLabels" . }}
app.kubernetes.io/part-of: sisom-cluster
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "sisom.secretName" -}}
{{- .Values.secrets.existingSecret | default (printf "%s-secrets" (include "sisom.name" .)) -}}
{{- end -}}

{{- define "sisom.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "sisom.name" .) -}}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{- define "sisom.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{- define "sisom.gpuImage" -}}
{{- printf "%s:%s" .Values.gpuImage.repository (.Values.gpuImage.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{/* ConnectionStrings__Sisom from the Secret: every role and the migration Job. */}}
{{- define "sisom.postgresEnv" -}}
- name: ConnectionStrings__Sisom
  valueFrom:
    secretKeyRef:
      name: {{ include "sisom.secretName" . }}
      key: postgres
{{- end -}}

{{- define "sisom.rabbitmqEnv" -}}
- name: ConnectionStrings__RabbitMq
  valueFrom:
    secretKeyRef:
      name: {{ include "sisom.secretName" . }}
      key: rabbitmq
{{- end -}}

{{/*
The RabbitMQ management API URL that KEDA's rabbitmq trigger reads (protocol http, Secret key rabbitmq-management):
secrets.rabbitmqManagement, or derived from secrets.rabbitmq: amqp://user:pass@host:5672/vhost becomes
http://user:pass@host:<worker.autoscaling.managementPort>/vhost (a trailing "/" = the default vhost, as KEDA wants it).
*/}}
{{- define "sisom.rabbitmqManagementUrl" -}}
{{- if .Values.secrets.rabbitmqManagement -}}
{{- .Values.secrets.rabbitmqManagement -}}
{{- else -}}
{{- $u := urlParse .Values.secrets.rabbitmq -}}
{{- if not (has $u.scheme (list "amqp" "amqps")) -}}
{{- fail (printf "secrets.rabbitmq must be an amqp:// or amqps:// URI to derive the management URL for KEDA, or set secrets.rabbitmqManagement (got scheme %q)" $u.scheme) -}}
{{- end -}}
{{- $host := splitList ":" $u.host | first -}}
{{- $scheme := ternary "https" "http" (eq $u.scheme "amqps") -}}
{{- $auth := ternary (printf "%s@" $u.userinfo) "" (ne $u.userinfo "") -}}
{{- printf "%s://%s%s:%v/%s" $scheme $auth $host .Values.worker.autoscaling.managementPort (trimPrefix "/" $u.path) -}}
{{- end -}}
{{- end -}}
