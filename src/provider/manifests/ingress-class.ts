/**
 * Which IngressClasses Portico answers: the configured class names, and every
 * IngressClass whose controller is ours (or Traefik's, when running Traefik's
 * YAML unchanged); one of those marked the cluster default also claims
 * Ingresses that name no class.
 */
/** The controller name our IngressClass objects carry (charts/portico/templates/ingressclass.yaml). */
export const PORTICO_INGRESS_CONTROLLER = 'portico.dev/ingress-controller';
/** Traefik's controller name, answered under traefikCompat and by the file provider. */
export const TRAEFIK_INGRESS_CONTROLLER = 'traefik.io/ingress-controller';
const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';

interface IngressClassObject {
  metadata?: { name?: string; annotations?: Record<string, string> };
  spec?: { controller?: string };
}

export interface AnsweredIngressClasses {
  names: string[];
  /** One of ours is the cluster's default class. */
  isDefault: boolean;
}

export function answeredIngressClasses(
  classes: Iterable<IngressClassObject>,
  configured: readonly string[],
  controllers: readonly string[],
): AnsweredIngressClasses {
  const names = new Set(configured);
  let isDefault = false;
  for (const c of classes) {
    if (!c.spec?.controller || !controllers.includes(c.spec.controller) || !c.metadata?.name) continue;
    names.add(c.metadata.name);
    if (c.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true') isDefault = true;
  }
  return { names: [...names], isDefault };
}
