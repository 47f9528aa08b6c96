/** A predicate for a name pattern where `*` stands for any run of characters (also none). */
export function wildcard(pattern: string): (name: string) => boolean {
  if (pattern === '*') return () => true;
  if (!pattern.includes('*')) return (name) => name === pattern;
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  const regex = new RegExp('^' + body + '$', 's');
  return (name) => regex.test(name);
}
