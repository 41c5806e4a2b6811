"""YAML builders for the recall rule tests: small, realistic objects with one part replaceable."""

from __future__ import annotations

import textwrap


def indent(text: str, spaces: int) -> str:
    return textwrap.indent(textwrap.dedent(text).strip("\n"), " " * spaces)


CONTAINER = """\
- name: web
  image: registry.example.com/shop/web:1.4.2
  ports:
  - {name: http, containerPort: 8080}
  resources:
    requests: {cpu: 100m, memory: 128Mi}
    limits: {cpu: "1", memory: 256Mi}
"""


def deployment(pod: str = "", containers: str = CONTAINER, *, kind: str = "Deployment", name: str = "web",
               labels: str = "app: web", spec: str = "", template_meta: str = "") -> str:
    """A workload whose pod spec gets `pod` (extra pod fields) and `containers`."""
    return f"""\
apiVersion: apps/v1
kind: {kind}
metadata:
  name: {name}
  namespace: shop
spec:
{indent(spec, 2) if spec else ""}
  selector:
    matchLabels: {{{labels}}}
  template:
    metadata:
      labels: {{{labels}}}
{indent(template_meta, 6) if template_meta else ""}
    spec:
{indent(pod, 6) if pod else ""}
      containers:
{indent(containers, 6)}
"""


def cronjob(pod: str = "restartPolicy: OnFailure", *, spec: str = "schedule: '*/5 * * * *'", job: str = "",
            name: str = "cleanup") -> str:
    return f"""\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: {name}
  namespace: shop
spec:
{indent(spec, 2)}
  jobTemplate:
    spec:
{indent(job, 6) if job else ""}
      template:
        spec:
{indent(pod, 10)}
          containers:
          - name: cleanup
            image: registry.example.com/shop/web:1.4.2
"""


def service(ports: str = "[{name: http, port: 80, targetPort: http}]", *, name: str = "web",
            selector: str = "app: web", extra: str = "") -> str:
    return f"""\
apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: shop
spec:
  selector: {{{selector}}}
  ports: {ports}
{indent(extra, 2) if extra else ""}
"""


def docs(*parts: str) -> str:
    return "---\n".join(textwrap.dedent(p) for p in parts)
