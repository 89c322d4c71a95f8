import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  crossReferenceProblems,
  DEPLOY_DIR,
  OVERLAYS,
  renderKustomization,
  renderOverlay,
  schemaProblems,
  type K8sObject,
} from '../src/manifests.js';

const SERVICES = ['coordinator', 'trainer', 'criterion', 'candidates', 'similarity', 'similarity-procrustes'];
type Container = {
  image: string;
  resources: { limits: Record<string, string> };
  env?: { name: string; value?: string; valueFrom?: unknown }[];
};
type Pod = { containers: Container[]; nodeSelector?: Record<string, string>; tolerations?: { key: string }[] };
const pod = (d: K8sObject) => (d.spec as { template: { spec: Pod } }).template.spec;
const find = (objects: K8sObject[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata.name === name)!;

describe.each(OVERLAYS)('the %s overlay', (overlay) => {
  const objects = renderOverlay(overlay);

  it('validates against the Kubernetes schemas and its cross-references hold', () => {
    expect(objects.length).toBeGreaterThan(15);
    expect(schemaProblems(objects)).toEqual([]);
    expect(crossReferenceProblems(objects)).toEqual([]);
  });

  it('has a Deployment and a Service per service, in one namespace, with pinned images', () => {
    for (const name of SERVICES) {
      expect(find(objects, 'Deployment', name), name).toBeDefined();
      expect(find(objects, 'Service', name), name).toBeDefined();
    }
    expect(new Set(objects.filter((o) => o.kind !== 'Namespace').map((o) => o.metadata.namespace))).toEqual(
      new Set(['prune']),
    );
    for (const d of objects.filter((o) => o.kind === 'Deployment'))
      expect(pod(d).containers[0]!.image, d.metadata.name).toBe(
        d.metadata.name === 'coordinator'
          ? 'ghcr.io/prune-everything/prune-coordinator:0.1.0' // no TensorFlow: one image for every overlay
          : `ghcr.io/prune-everything/prune:0.1.0-${overlay}`,
      );
  });

  it('balances per call over replicas (headless Services) and keeps one coordinator with its state on a volume', () => {
    for (const name of SERVICES.filter((s) => s !== 'coordinator'))
      expect((find(objects, 'Service', name).spec as { clusterIP?: string }).clusterIP, name).toBe('None');
    const coordinator = find(objects, 'Deployment', 'coordinator');
    expect(coordinator.spec).toMatchObject({ replicas: 1, strategy: { type: 'Recreate' } });
    expect(find(objects, 'PersistentVolumeClaim', 'prune-store').spec).toMatchObject({
      accessModes: ['ReadWriteMany'],
    });
    expect(find(objects, 'HorizontalPodAutoscaler', 'trainer').spec).toMatchObject({
      scaleTargetRef: { name: 'trainer' },
    });
  });

  it('puts trainer and criterion on GPUs only in the gpu overlay', () => {
    for (const name of ['trainer', 'criterion']) {
      const spec = pod(find(objects, 'Deployment', name));
      if (overlay === 'gpu') {
        expect(spec.containers[0]!.resources.limits['nvidia.com/gpu']).toBe('1');
        expect(spec.nodeSelector).toEqual({ 'nvidia.com/gpu.present': 'true' });
        expect(spec.tolerations?.map((t) => t.key)).toEqual(['nvidia.com/gpu']);
      } else {
        expect(spec.containers[0]!.resources.limits['nvidia.com/gpu']).toBeUndefined();
      }
    }
    expect(find(objects, 'ConfigMap', 'prune-config').data!['PRUNE_BACKEND']).toBe('tensorflow');
    for (const name of ['trainer', 'criterion']) {
      const env = pod(find(objects, 'Deployment', name)).containers[0]!.env ?? [];
      expect(env.find((e) => e.name === 'PRUNE_THREADS')).toMatchObject({
        valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } },
      });
    }
  });
});

describe('network policies and the mutual-TLS overlay', () => {
  it('lets clients reach only the coordinator, and the other services only the coordinator', () => {
    const policies = renderOverlay('cpu').filter((o) => o.kind === 'NetworkPolicy');
    expect(policies.map((p) => p.metadata.name).sort()).toEqual([
      'coordinator-from-clients',
      'default-deny-ingress',
      'services-from-coordinator',
    ]);
    expect(policies.find((p) => p.metadata.name === 'services-from-coordinator')!.spec).toMatchObject({
      ingress: [{ from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'coordinator' } } }] }],
    });
  });

  it('cpu-mtls: every service serves mutual TLS from the prune-tls Secret, takes the token, and is probed on its health port', () => {
    const objects = renderOverlay('cpu-mtls');
    expect(schemaProblems(objects)).toEqual([]);
    expect(crossReferenceProblems(objects)).toEqual([]);
    expect(find(objects, 'ConfigMap', 'prune-config').data).toMatchObject({
      PRUNE_TLS_CERT: '/var/run/prune-tls/tls.crt',
      PRUNE_TLS_KEY: '/var/run/prune-tls/tls.key',
      PRUNE_TLS_CA: '/var/run/prune-tls/ca.crt',
      PRUNE_HEALTH_ADDRESS: '0.0.0.0:8081',
    });
    for (const name of SERVICES) {
      const spec = pod(find(objects, 'Deployment', name)) as unknown as {
        volumes: { name: string; secret?: { secretName: string } }[];
        containers: (Container & {
          volumeMounts: { name: string; mountPath: string }[];
          readinessProbe: { grpc: { port: number } };
          livenessProbe: { grpc: { port: number } };
        })[];
      };
      const container = spec.containers[0]!;
      expect(spec.volumes.find((v) => v.name === 'tls')?.secret?.secretName, name).toBe('prune-tls');
      expect(container.volumeMounts.find((m) => m.name === 'tls')?.mountPath, name).toBe('/var/run/prune-tls');
      expect(container.env?.find((e) => e.name === 'PRUNE_AUTH_TOKEN')?.valueFrom, name).toEqual({
        secretKeyRef: { name: 'prune-auth', key: 'token' },
      });
      expect([container.readinessProbe.grpc.port, container.livenessProbe.grpc.port], name).toEqual([8081, 8081]);
    }
    // the store's gc job calls the coordinator as a client: certificate and token too
    const gc = find(objects, 'CronJob', 'prune-gc').spec as {
      jobTemplate: { spec: { template: { spec: { volumes: { name: string }[]; containers: Container[] } } } };
    };
    const gcPod = gc.jobTemplate.spec.template.spec;
    expect(gcPod.volumes.map((v) => v.name)).toEqual(['store', 'tls']);
    expect(gcPod.containers[0]!.env?.map((e) => e.name)).toEqual(['PRUNE_AUTH_TOKEN']);
  });

  it('cleans the store daily with prune gc, asking the coordinator what runs need (its volume is its own)', () => {
    for (const overlay of OVERLAYS) {
      const gc = find(renderOverlay(overlay), 'CronJob', 'prune-gc').spec as {
        schedule: string;
        jobTemplate: { spec: { template: { spec: { containers: (Container & { command: string[] })[] } } } };
      };
      const container = gc.jobTemplate.spec.template.spec.containers[0]!;
      expect(container.command.slice(2, 3)).toEqual(['gc']);
      expect(container.command.join(' ')).toContain('--coordinator coordinator:50050');
      expect(container.image).toBe(`ghcr.io/prune-everything/prune:0.1.0-${overlay}`);
    }
  });
});

describe('the checks can fail', () => {
  it('a schema violation, a dangling registry address and an unpinned image are reported', () => {
    const objects = renderOverlay('cpu');
    const broken = structuredClone(objects);
    const trainer = find(broken, 'Deployment', 'trainer');
    (trainer.spec as { replicas: unknown }).replicas = 'two';
    pod(trainer).containers[0]!.image = 'ghcr.io/prune-everything/prune:latest';
    const registry = find(broken, 'ConfigMap', 'prune-similarity-registry');
    registry.data!['similarity-registry.json'] = JSON.stringify({
      services: [{ name: 'x', addresses: ['dns:///nowhere:1'] }],
    });
    find(broken, 'Service', 'criterion').spec!['selector'] = { 'app.kubernetes.io/name': 'nothing' };
    expect(schemaProblems(broken)).toEqual([expect.stringMatching(/^Deployment\/trainer: .*replicas/)]);
    expect(crossReferenceProblems(broken)).toEqual(
      expect.arrayContaining([
        'Deployment/trainer: image ghcr.io/prune-everything/prune:latest is not pinned to a version or digest',
        'ConfigMap/prune-similarity-registry: similarity-registry.json address dns:///nowhere:1 names no Service port',
        'Service/criterion: selects no Deployment',
      ]),
    );
  });

  it('adding a similarity service is a new Deployment + Service and one registry line', () => {
    // a kustomization on top of the cpu overlay, as a user would write it
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'overlay-'));
    const added = fs
      .readFileSync(path.join(DEPLOY_DIR, 'k8s/base/similarity-procrustes.yaml'), 'utf8')
      .replaceAll('similarity-procrustes', 'similarity-rbf')
      .replaceAll('50055', '50056');
    fs.writeFileSync(path.join(dir, 'similarity-rbf.yaml'), added);
    const registry = {
      services: [
        { name: 'cka', addresses: ['dns:///similarity:50054'] },
        { name: 'procrustes', addresses: ['dns:///similarity-procrustes:50055'] },
        { name: 'rbf', addresses: ['dns:///similarity-rbf:50056'] },
      ],
    };
    fs.writeFileSync(
      path.join(dir, 'kustomization.yaml'),
      [
        'resources:',
        `  - ${path.relative(dir, path.join(DEPLOY_DIR, 'k8s/overlays/cpu'))}`,
        '  - similarity-rbf.yaml',
        'namespace: prune',
        'patches:',
        '  - target: {kind: ConfigMap, name: prune-similarity-registry}',
        '    patch: |-',
        '      - op: replace',
        '        path: /data/similarity-registry.json',
        `        value: '${JSON.stringify(registry)}'`,
      ].join('\n'),
    );
    const objects = renderKustomization(dir);
    expect(find(objects, 'Deployment', 'similarity-rbf')).toBeDefined();
    expect(schemaProblems(objects)).toEqual([]);
    expect(crossReferenceProblems(objects)).toEqual([]);
  });
});
