/**
 * The vocabulary of the Gateway API conversion: the group, our controller
 * names, the entry points listeners map onto, status conditions, and what
 * the conversion hands back (configuration, problems, and the status each
 * object should have). Pure data; nothing here talks to the API.
 */
import type { ManifestConversion } from '../convert.js';
import type { KubeObject } from '../kube-objects.js';

export const GATEWAY_GROUP = 'gateway.networking.k8s.io';
/** The controllerName of GatewayClasses Portico answers. */
export const PORTICO_GATEWAY_CONTROLLER = 'portico.dev/gateway-controller';
/** Traefik's, answered too with the provider's traefikCompat option. */
export const TRAEFIK_GATEWAY_CONTROLLER = 'traefik.io/gateway-controller';

/** An entry point a listener can land on: its name, the port it listens on, and whether it is a `/udp` one. */
export interface GatewayEntryPoint {
  name: string;
  port: number;
  udp: boolean;
}

/** An address for Gateway status.addresses (the provider's statusAddress option, or the published Service's load balancer). */
export interface GatewayStatusAddress {
  type: 'IPAddress' | 'Hostname';
  value: string;
}

export interface GatewayConversionOptions {
  /** Names the provider in errors (`kubernetesgateway`). */
  provider: string;
  /** GatewayClasses whose spec.controllerName is one of these are ours. */
  controllerNames: string[];
  entryPoints: GatewayEntryPoint[];
  /** Written into each Gateway's status.addresses; undefined leaves the field empty. */
  addresses?: GatewayStatusAddress[];
  /** Read TCPRoute, TLSRoute and UDPRoute (Traefik gates them the same way). */
  experimentalChannel: boolean;
  allowExternalNameServices?: boolean;
  nativeLB?: boolean;
  log?: (level: 'debug' | 'warn', msg: string) => void;
}

/** One condition as the Gateway API writes it (lastTransitionTime is the status writer's). */
export interface GatewayCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  observedGeneration?: number;
}

/** The status one object should have, written by the provider when it differs. */
export interface StatusUpdate {
  kind: string;
  /** Unset for the cluster-scoped GatewayClass. */
  namespace?: string;
  name: string;
  /** The object as read (for its resourceVersion and the status other controllers wrote). */
  object: KubeObject;
  status: Record<string, unknown>;
}

export interface GatewayConversion extends ManifestConversion {
  statuses: StatusUpdate[];
}

export function condition(type: string, ok: boolean, reason: string, message: string, generation: number | undefined): GatewayCondition {
  return { type, status: ok ? 'True' : 'False', reason, message, ...(generation !== undefined ? { observedGeneration: generation } : {}) };
}

export function generationOf(o: KubeObject): number | undefined {
  const g = (o.metadata as { generation?: unknown }).generation;
  return typeof g === 'number' ? g : undefined;
}

/** `{group, kind}` with the Gateway API's defaults spelt out. */
export interface GroupKind {
  group: string;
  kind: string;
}
