import { metadataTextViolation, printableViolation } from '@/common/text-rule';

/** Nacos's rules for a namespace id (`^[\w-]+`, matched whole) and show name (`^[^@#$%^&*]+$`). */
const ID_PATTERN = /^[\w-]+$/;
const NAME_PATTERN = /^[^@#$%^&*]+$/;
export const MAX_NAMESPACE_ID_LENGTH = 128;
/** Longest show name and description stored (the columns' size). */
export const MAX_NAMESPACE_TEXT_LENGTH = 256;

export type NamespaceProblem =
  { field: 'id'; message: string } | { field: 'name'; message: string } | { field: 'desc'; message: string };

/** Why a custom namespace id is refused (NamespaceController's checks), or undefined. */
export function namespaceIdProblem(id: string): NamespaceProblem | undefined {
  if (!ID_PATTERN.test(id)) return { field: 'id', message: `namespaceId [${id}] mismatch the pattern` };
  if (id.length > MAX_NAMESPACE_ID_LENGTH) {
    return { field: 'id', message: `too long namespaceId, over ${MAX_NAMESPACE_ID_LENGTH}` };
  }
  return undefined;
}

/**
 * Why a show name or description is refused, or undefined: the name by Nacos's pattern, both by the text
 * rule and the stored length (Nacos stores any description its column takes).
 */
export function namespaceTextProblem(name: string, description: string): NamespaceProblem | undefined {
  if (!NAME_PATTERN.test(name) || printableViolation(name) !== undefined) {
    return { field: 'name', message: `namespaceName [${name}] contains illegal char` };
  }
  if (name.length > MAX_NAMESPACE_TEXT_LENGTH) {
    return { field: 'name', message: `too long namespaceName, over ${MAX_NAMESPACE_TEXT_LENGTH}` };
  }
  const why =
    description.length > MAX_NAMESPACE_TEXT_LENGTH
      ? `must be at most ${MAX_NAMESPACE_TEXT_LENGTH} characters`
      : metadataTextViolation(description);
  if (why !== undefined) return { field: 'desc', message: `namespaceDesc ${why}` };
  return undefined;
}
