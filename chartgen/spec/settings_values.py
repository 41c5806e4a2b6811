"""The values.schema.json entries that are no chartgen.yaml setting as is (see setting.Value), one function per part.

A key only the chart has (tests, tmpVolume.sizeLimit) or a setting's values in another shape (probes.liveness ->
livenessProbe, istio.routes -> istio.routes with the chart's fields) is declared here once, with its whole entry
(description included, in the order values.schema.json prints it); the part's values.schema.yaml.j2 places it with
``declared("key")``. chartgen/spec/settings.py adds these to the catalog.
"""

from __future__ import annotations

from typing import Any

from chartgen.spec.setting import Value

PORT: dict[str, Any] = {"type": "integer", "minimum": 1, "maximum": 65535}
DNS_LABEL = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
WL, IC, CAN, DR, VS = "workload/common", "istio/common", "istio/canary", "istio/destinationrule", \
    "istio/virtualservice"
SVC, HEADLESS, EXT, LB = "service/common", "service/headless", "service/externalname", "service/lb-options"
STS, GW, SEC = "workload/statefulset", "istio/gateway", "istio/security"
WAIVER_ID: dict[str, Any] = {"pattern": "^CKV2?_K8S_[0-9]+$"}  # a checkov check id
WAIVER_REASON: dict[str, Any] = {"type": "string", "minLength": 10}
PROTOCOL: dict[str, Any] = {"enum": ["TCP", "UDP", "SCTP"]}
TARGET_PORT: dict[str, Any] = {"oneOf": [PORT, {"type": "string", "pattern": DNS_LABEL, "maxLength": 15}]}


def workload() -> list[Value]:
    """values.schema.json entries of workload/common that are no setting as is (placed by its schema fragment)."""
    name = {"type": "string", "pattern": DNS_LABEL, "maxLength": 15}
    probe = {"type": "object", "description": "Kubernetes probe; {} (or null) disables it."}
    waivers = {"type": "object", "description": "Policy checks waived on the test pod, each with its reason.",
               "propertyNames": WAIVER_ID, "additionalProperties": WAIVER_REASON}
    return [
        Value("containerPorts", {
            "type": "array", "description": "Ports the container listens on (targets of the Service's targetPort).",
            "items": {"type": "object", "additionalProperties": False, "required": ["containerPort"], "properties": {
                "containerPort": PORT, "name": name, "protocol": PROTOCOL}}},
            WL, of="containerPorts"),
        Value("livenessProbe", probe, WL, of="probes.liveness"),
        Value("readinessProbe", probe, WL, of="probes.readiness"),
        Value("startupProbe", probe, WL, of="probes.startup"),
        Value("resources", {
            "type": "object", "additionalProperties": False, "description": "Container resource requests and limits.",
            "properties": {
                "requests": {"type": "object",
                             "description": "Guaranteed resources (cpu, memory) the scheduler reserves."},
                "limits": {"type": "object",
                           "description": "Hard caps (cpu throttles, memory above the limit is OOM-killed)."}}},
            WL, of="resources"),
        Value("tmpVolume.sizeLimit", {"type": "string", "description": "Size limit of the /tmp emptyDir."}, WL),
        Value("networkPolicy.istioGatewayNamespace", {
            "type": "string", "description": "Namespace of the Istio ingress gateway, admitted next to allowFrom when "
                                             "istio.hosts are served."}, WL),
        Value("networkPolicy.istiodNamespace", {
            "type": "string", "description": "Namespace of istiod, reachable on 15012 (xDS, certificates) while "
                                             "egress is restricted and istio.enabled."}, WL),
        Value("tests", _head("The helm test pod."), WL),
        Value("tests.image", _head("Image of the test pod (needs nc)."), WL),
        Value("tests.policyWaivers", waivers, WL),
    ]


def _int(minimum: int, maximum: int | None = None, description: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "integer", "minimum": minimum}
    if maximum is not None:
        out["maximum"] = maximum
    return out if description is None else out | {"description": description}


def _object(properties: dict[str, Any], description: str | None = None, required: list[str] | None = None,
            **more: Any) -> dict[str, Any]:
    """A closed object, its keywords in the order the former fragments wrote them."""
    out: dict[str, Any] = {"type": "object", "additionalProperties": False}
    if required is not None:
        out["required"] = required
    if description is not None:
        out["description"] = description
    return out | more | {"properties": properties}


def _duration(description: str | None = None) -> dict[str, Any]:
    out = {"type": "string", "pattern": "^([0-9]+(\\.[0-9]+)?(h|m|s|ms|us|ns))+$"}
    return out if description is None else out | {"description": description}


def _versions() -> dict[str, Any]:
    autoscaling = _object({"enabled": {"type": "boolean"}, "minReplicas": _int(1), "maxReplicas": _int(1),
                           "targetCPUUtilizationPercentage": _int(1, 100)},
                          "This version's HPA (the effective one, merged over autoscaling); enabled false for none.")
    image = _object({"tag": {"type": "string", "pattern": "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$",
                             "not": {"const": "latest"}},
                     "digest": {"type": "string", "pattern": "^sha256:[a-f0-9]{64}$"}})
    version = _object({"weight": _int(0, 100),
                       "replicas": _int(0, None, "Replicas of this version (used while its autoscaling is off)."),
                       "autoscaling": autoscaling, "image": image}, required=["weight"])
    return {"type": "object", "description": "Versions deployed side by side: one Deployment <fullname>-<version> "
            "each, labelled version: <name> (a DestinationRule subset each). weight is the percent of traffic of "
            "routes that set no weights (the weights must sum to 100); replicas, autoscaling (each version sized on "
            "its own) and image (tag or digest) override the chart's.",
            "propertyNames": {"pattern": DNS_LABEL, "maxLength": 63}, "additionalProperties": version}


def _traffic_policy() -> dict[str, Any]:
    tls = _object({"mode": {"enum": ["ISTIO_MUTUAL", "DISABLE"],
                            "description": "ISTIO_MUTUAL (mesh mTLS to the pods) or DISABLE."}}, "TLS to the pods.")
    lb = _object({"simple": {"enum": ["ROUND_ROBIN", "LEAST_REQUEST", "RANDOM", "PASSTHROUGH", None],
                             "description": "Load-balancing algorithm across the pods."},
                  "consistentHash": _consistent_hash() | {"type": ["object", "null"]}},
                 "Load balancer settings: simple or consistentHash (null removes the one an environment inherits).")
    tcp = _object({"maxConnections": _int(1, None, "Maximum TCP connections per pod."),
                   "connectTimeout": _duration("TCP connect timeout."),
                   "idleTimeout": _duration("Close idle TCP connections after this.")})
    http = _object({"http1MaxPendingRequests": _int(1, None, "Maximum requests queued for a connection."),
                    "http2MaxRequests": _int(1, None, "Maximum active requests per pod."),
                    "maxRequestsPerConnection": _int(0, None, "Requests per connection before it is closed "
                                                              "(0 unlimited)."),
                    "maxRetries": _int(0, None, "Maximum concurrent retries to the pods."),
                    "idleTimeout": _duration("Close idle HTTP connections after this.")})
    outlier = _object({
        "consecutive5xxErrors": _int(0, None, "5xx responses in a row that eject a pod."),
        "consecutiveGatewayErrors": _int(0, None, "502/503/504 responses in a row that eject a pod."),
        "interval": _duration("How often pods are scanned."),
        "baseEjectionTime": _duration("Minimum ejection time (grows with each ejection)."),
        "maxEjectionPercent": _int(0, 100, "Most pods (percent) that may be ejected at once."),
        "minHealthPercent": _int(0, 100, "Outlier detection pauses below this percent of healthy pods.")},
        "Eject failing pods from the load-balancing pool.")
    pool = _object({"tcp": tcp, "http": http}, "Connection limits (circuit breaking).")
    port_level = {"type": "array", "description": "Per-port overrides (port.number: a Service port).",
                  "items": _object({"port": _object({"number": PORT | {"description": "A Service port."}},
                                                    "The port these settings apply to.", required=["number"]),
                                    "tls": tls, "loadBalancer": lb, "connectionPool": pool,
                                    "outlierDetection": outlier}, required=["port"])}
    return _object({"tls": tls, "loadBalancer": lb, "connectionPool": pool, "outlierDetection": outlier,
                    "portLevelSettings": port_level},
                   "DestinationRule trafficPolicy for the Service: tls (ISTIO_MUTUAL), loadBalancer, connectionPool, "
                   "outlierDetection, portLevelSettings (Istio's fields).")


def _consistent_hash() -> dict[str, Any]:
    cookie = _object({"name": _text("Cookie name.", minLength=1), "path": _text("Cookie path."),
                      "ttl": _text("Cookie lifetime; with it Istio generates the cookie.")},
                     "Hash on a cookie.", required=["name"]) | {"type": ["object", "null"]}
    return _object({"httpHeaderName": _text("Hash on this request header.", "null", minLength=1),
                    "httpCookie": cookie,
                    "useSourceIp": {"enum": [True, None], "description": "Hash on the client's IP address."},
                    "httpQueryParameterName": _text("Hash on this query parameter.", "null", minLength=1)},
                   "Session affinity: exactly one hash key (null removes one an environment inherits).")


def _text(description: str, *more_types: str, **more: Any) -> dict[str, Any]:
    """A described string (or one of more_types)."""
    return {"type": ["string", *more_types] if more_types else "string", **more, "description": description}


def _route() -> dict[str, Any]:
    """The fields of a route (istio.routes items and istio.defaultRoute), in the former fragment's order."""
    percent = {"type": "number", "minimum": 0, "maximum": 100}
    retries = {"type": "object", "additionalProperties": False, "required": ["attempts"],
               "description": "Retries: attempts, perTryTimeout, retryOn (Envoy conditions).",
               "properties": {"attempts": {"type": "integer", "minimum": 0}, "perTryTimeout": _duration(),
                              "retryOn": {"type": "string"}}}
    delay = _object({"percent": percent, "fixedDelay": _duration()}, required=["percent", "fixedDelay"])
    abort = _object({"percent": percent, "httpStatus": _int(200, 599)}, required=["percent", "httpStatus"])
    return {
        "name": {"type": "string", "pattern": DNS_LABEL, "maxLength": 63,
                 "description": "Route name (shown in Envoy stats and access logs)."},
        "weights": {"type": "object", "description": "Percent per version (subset); must sum to 100. Empty: the "
                    "versions' weights.", "additionalProperties": _int(0, 100)},
        "port": PORT | {"description": "Service port of this route; default istio.port."},
        "timeout": _duration("Request timeout (e.g. 10s)."),
        "retries": retries,
        "fault": {"type": "object", "additionalProperties": False, "description": "Fault injection: delay and/or "
                  "abort a percentage of requests (testing only).", "properties": {"delay": delay, "abort": abort}},
        "mirror": {"type": "object", "additionalProperties": False, "required": ["percent"], "description": "Mirror "
                   "(shadow) a percentage of requests to a version; responses are discarded.",
                   "properties": {"version": {"type": "string"}, "percent": percent}},
        **_route_http(),
    }


def _route_http() -> dict[str, Any]:
    """CORS, rewrite and header manipulation of a route (Istio's fields as they are rendered)."""
    def strings(description: str) -> dict[str, Any]:
        return {"type": "array", "items": {"type": "string"}, "description": description}

    def ops(side: str) -> dict[str, Any]:
        return _object({"set": {"type": "object", "additionalProperties": {"type": "string"},
                                "description": f"{side} headers set (replacing any value)."},
                        "add": {"type": "object", "additionalProperties": {"type": "string"},
                                "description": f"{side} headers appended."},
                        "remove": strings(f"{side} headers removed.")}, f"{side} header changes.")

    cors = {"allowOrigins": {"type": "array", "items": _string_match(), "description": "Origins allowed (exact, "
                             "prefix or regex)."},
            "allowMethods": strings("Methods allowed (Access-Control-Allow-Methods)."),
            "allowHeaders": strings("Request headers allowed (Access-Control-Allow-Headers)."),
            "exposeHeaders": strings("Response headers browsers may read (Access-Control-Expose-Headers)."),
            "maxAge": _duration("How long browsers cache the preflight answer."),
            "allowCredentials": {"type": "boolean", "description": "Allow credentials (cookies, authorization)."}}
    return {
        "corsPolicy": _object(cors, "CORS policy answered by the proxy."),
        "rewrite": _object({"uri": _text("Path replacing the matched prefix (or the whole path)."),
                            "authority": _text("Host header sent upstream.")},
                           "Rewrite of the path (uri) and/or Host (authority) before forwarding."),
        "headers": _object({"request": ops("Request"), "response": ops("Response")},
                           "Request and response headers to set, add, remove."),
    }


def _redirect() -> dict[str, Any]:
    return _object({"uri": _text("Path of the redirect."), "authority": _text("Host of the redirect."),
                    "scheme": {"enum": ["http", "https"], "description": "Scheme of the redirect."},
                    "port": PORT | {"description": "Port of the redirect."},
                    "redirectCode": {"enum": [301, 302, 303, 307, 308], "description": "HTTP status (default 301)."}},
                   "Answer with a redirect instead of forwarding.")


def _string_match() -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "minProperties": 1, "maxProperties": 1,
            "properties": {"exact": {"type": "string"}, "prefix": {"type": "string"}, "regex": {"type": "string"}}}


def _match() -> dict[str, Any]:
    match = _string_match()
    return {"type": "array", "minItems": 1, "items": {
        "type": "object", "additionalProperties": False, "minProperties": 1, "properties": {
            "uri": match, "method": match, "authority": match, "headers": {"type": "object",
                                                                          "additionalProperties": match},
            "queryParams": {"type": "object", "additionalProperties": match}}}}


def istio() -> list[Value]:
    """The Istio parts' values that are no setting as is."""
    return [
        Value("istio.port", PORT | {"description": "Service port the routes send to; set on every destination when "
                                                   "the Service has more than one port."}, IC, of="istio.port"),
        Value("istio.versions", _versions(), CAN, of="istio.versions"),
        Value("istio.requestAuthentication.ports", {
            "type": "array", "items": PORT, "description": "Workload ports the token is required on (the targetPorts "
            "of the Service's HTTP ports, filled in by chartgen)."}, SEC, of="istio.requestAuthentication.enabled"),
        Value("istio.trafficPolicy", _traffic_policy(), DR, of="istio.trafficPolicy"),
        Value("istio.routes", {
            "type": "array", "description": "Ordered HTTP routes, tried before defaultRoute: name, match (uri/method/"
            "authority/headers/queryParams: exact, prefix or regex), weights (percent per version, sum 100), port, "
            "retries, timeout, fault, mirror, corsPolicy, rewrite, redirect, headers.", "items": _object(
                _route() | {"redirect": _redirect(), "match": _match()}, required=["name"])},
            VS, of="istio.routes"),
        Value("istio.defaultRoute", _object(_route(), "The last route (no match) taking the rest of the traffic; "
                                            "same fields as a route without match.", required=["name"]),
              VS, of="istio.defaultRoute"),
    ]


def _ports(description: str, **more: Any) -> dict[str, Any]:
    """Service ports of the headless and externalname parts (service/common's depend on the node port range)."""
    item = {"name": {"type": "string", "pattern": DNS_LABEL}, "port": PORT} | more | {
        "protocol": PROTOCOL, "appProtocol": {"type": "string"}}
    return {"type": "array", **({"minItems": 1} if "targetPort" in more else {}), "description": description,
            "items": {"type": "object", "additionalProperties": False, "required": ["port"], "properties": item}}


def service() -> list[Value]:
    """The Service parts' values that are no setting as is; headless and externalname name theirs by part."""
    annotations = {"type": "object", "additionalProperties": {"type": "string"}, "description": "Service annotations."}
    return [
        Value("service.externalTrafficPolicy", {
            "enum": ["", "Cluster", "Local"], "description": "Local preserves client source IPs (NodePort/LoadBalancer "
            "only); empty keeps the default."}, SVC, of="service.externalTrafficPolicy"),
        Value("service.annotations", annotations, HEADLESS, of="service.annotations",
              name="headless.service.annotations"),
        Value("service.ports", _ports("Service ports; each targetPort is a container port.", targetPort=TARGET_PORT),
              HEADLESS, of="service.ports", name="headless.service.ports"),
        Value("service.externalName", {
            "type": "string", "maxLength": 253, "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*"
            "[a-z0-9])?)*\\.?$", "description": "DNS name the Service aliases (a DNS-1123 subdomain, e.g. "
            "prod-db.company.com)."}, EXT, of="service.externalName"),
        Value("service.annotations", annotations, EXT, of="service.annotations",
              name="externalname.service.annotations"),
        Value("service.ports", _ports("Optional ports (documentation for clients; DNS aliases carry no ports)."),
              EXT, of="service.ports", name="externalname.service.ports"),
    ]


def _head(description: str, required: list[str] | None = None) -> dict[str, Any]:
    """The keywords of a closed object whose properties the fragment lists (merged in with `<<:`)."""
    out: dict[str, Any] = {"type": "object", "additionalProperties": False}
    return out | ({"required": required} if required else {}) | {"description": description}


def heads() -> list[Value]:
    """Objects of values.yaml that are no group of chartgen.yaml as is (their description differs, or the values
    key does): their keywords and description, without properties."""
    istio_required = ["enabled", "hosts", "mesh", "port", "gateway", "versions", "canary", "routes", "defaultRoute",
                      "trafficPolicy", "peerAuthentication", "authorizationPolicy", "requestAuthentication"]
    return [
        Value("image", _head("Container image.", ["repository", "pullPolicy"]), WL),
        Value("tmpVolume", _head("An emptyDir at /tmp, since the root filesystem is read-only."), WL),
        Value("topologySpread", _head("Spread pods across nodes and zones."), WL),
        Value("persistence", _head("A PersistentVolumeClaim per pod (volumeClaimTemplates)."), STS),
        Value("service", _head("The Service in front of the pods.", ["type", "ports"]), SVC, name="common.service"),
        Value("service", _head("The headless Service governing the StatefulSet.", ["ports"]), HEADLESS,
              name="headless.service"),
        Value("service.clientService", _head("A second, ClusterIP Service (<fullname>-client) for clients that want "
                                             "one address."), HEADLESS),
        Value("service", _head("The ExternalName Service (a DNS alias; no pods).", ["externalName"]), EXT,
              name="externalname.service"),
        Value("service.loadBalancer", _head("LoadBalancer settings (used only while service.type is LoadBalancer)."),
              LB),
        Value("istio", _head("Istio traffic management (networking.istio.io/v1 and security.istio.io/v1 objects).",
                             istio_required), IC),
        Value("istio.gateway", _head("The ingress Gateway for istio.hosts.", ["existing", "selector", "http",
                                                                                "https"]), GW),
        Value("istio.gateway.http", _head("The plain HTTP server (port name http)."), GW),
        Value("istio.gateway.https", _head("The HTTPS server (port name https), terminating TLS with the certificate "
                                           "in credentialName."), GW),
    ]
