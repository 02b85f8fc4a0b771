/**
 * The kubernetesGateway provider (Traefik's name): the Gateway API
 * (`gateway.networking.k8s.io`). GatewayClasses whose controllerName is
 * `portico.dev/gateway-controller` (and Traefik's with traefikCompat) are
 * ours; their Gateways' listeners land on the entry points listening on
 * their ports; HTTPRoute, GRPCRoute (and TLSRoute, TCPRoute, UDPRoute with
 * experimentalChannel) become routers. The conversion is
 * src/provider/manifests/gateway/; status goes back to every object as the
 * spec defines it (gateway-status.ts).
 */
import type { V1Service } from '@kubernetes/client-node';
import type { ConfigError } from '../../dynamic/model.js';
import type { ManifestConversion } from '../manifests/convert.js';
import { convertGatewayObjects } from '../manifests/gateway/convert-gateway.js';
import {
  PORTICO_GATEWAY_CONTROLLER,
  TRAEFIK_GATEWAY_CONTROLLER,
  type GatewayEntryPoint,
  type GatewayStatusAddress,
  type StatusUpdate,
} from '../manifests/gateway/gateway-objects.js';
import type { KubeObject } from '../manifests/kube-objects.js';
import { ClusterProvider, type ClusterProviderDependencies } from './cluster-provider.js';
import type { ClusterView } from './cluster-view.js';
import { gatewayCollections } from './gateway-collections.js';
import { GatewayStatusWriter } from './gateway-status.js';
import type { KubernetesGatewayProviderOptions } from './provider-options.js';
import type { WatchedCollection } from './resource-watch.js';

export interface GatewayProviderDependencies extends ClusterProviderDependencies {
  /** The entry points listeners can land on, with the ports they listen on (asked at each conversion). */
  entryPoints: () => GatewayEntryPoint[];
}

export class KubernetesGatewayProvider extends ClusterProvider {
  readonly name = 'kubernetesgateway' as const;
  declare protected readonly options: KubernetesGatewayProviderOptions;
  private readonly status: GatewayStatusWriter;
  private readonly entryPoints: () => GatewayEntryPoint[];
  private statuses: StatusUpdate[] = [];

  constructor(options: KubernetesGatewayProviderOptions, deps: GatewayProviderDependencies) {
    super(
      {
        ...options,
        ...(options.certAuthFilePath ? { caFile: options.certAuthFilePath } : {}),
        ...(options.nativeLBByDefault !== undefined ? { nativeLB: options.nativeLBByDefault } : {}),
      },
      deps,
    );
    this.entryPoints = deps.entryPoints;
    this.status = new GatewayStatusWriter(this.kc, this.controllerNames(), this.log, () => this.refresh());
  }

  private controllerNames(): string[] {
    return [PORTICO_GATEWAY_CONTROLLER, ...(this.options.traefikCompat ? [TRAEFIK_GATEWAY_CONTROLLER] : [])];
  }

  private statusService(): string | undefined {
    const s = this.options.statusAddress?.service;
    return s ? `${s.namespace}/${s.name}` : undefined;
  }

  protected collections(): WatchedCollection[] {
    return gatewayCollections(this.kc, this.namespaces(), {
      labelSelector: this.options.labelSelector,
      experimentalChannel: this.options.experimentalChannel === true,
      statusService: this.statusService(),
    });
  }

  protected convert(view: ClusterView): ManifestConversion {
    const objects = view.watches.flatMap((w) => w.list()) as unknown as KubeObject[];
    const addresses = this.addresses(view);
    const conversion = convertGatewayObjects(objects, {
      provider: this.name,
      controllerNames: this.controllerNames(),
      entryPoints: this.entryPoints(),
      ...(addresses ? { addresses } : {}),
      experimentalChannel: this.options.experimentalChannel === true,
      allowExternalNameServices: this.options.allowExternalNameServices ?? false,
      nativeLB: this.options.nativeLB ?? false,
      log: (level, msg) => this.log(level, msg),
    });
    this.statuses = conversion.statuses;
    return conversion;
  }

  protected override afterConvert(): ConfigError[] {
    if (this.readOnly) return [];
    void this.status.update(this.statuses);
    return this.status.error ? [{ provider: this.name, source: 'kubernetes gateway status', path: '', message: this.status.error }] : [];
  }

  /** Gateway status.addresses: the fixed one, or the Service's load balancer once it has one. */
  private addresses(view: ClusterView): GatewayStatusAddress[] | undefined {
    const a = this.options.statusAddress;
    if (a?.ip) return [{ type: 'IPAddress', value: a.ip }];
    if (a?.hostname) return [{ type: 'Hostname', value: a.hostname }];
    if (!a?.service) return undefined;
    const svc = view.objects('Service').find((s) => s.metadata?.namespace === a.service!.namespace && s.metadata?.name === a.service!.name) as
      V1Service | undefined;
    return (svc?.status?.loadBalancer?.ingress ?? []).flatMap((i): GatewayStatusAddress[] =>
      i.ip ? [{ type: 'IPAddress', value: i.ip }] : i.hostname ? [{ type: 'Hostname', value: i.hostname }] : [],
    );
  }

  /** Resolves when the status writes started so far are done (for tests and orderly shutdown). */
  statusWritesSettled(): Promise<void> {
    return this.status.update([]);
  }
}
