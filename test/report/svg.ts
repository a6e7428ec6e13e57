/**
 * Reading a rendered figure back: vega's SVG puts each named mark layer in `<g class="mark-<type> role-mark
 * <name>_marks">` (a hyphen in the name becomes `_`) and gives every drawn item an aria-label "field: value; …"
 * with the values it encodes (negative numbers with U+2212). The tests count items and compare those values.
 */

/** The aria-labels of the items of every group of mark layer `name` (all facet cells together). */
export function markLabels(svg: string, name: string): string[] {
  const cls = `${name.replace(/-/g, '_')}_marks`;
  const labels: string[] = [];
  const open = new RegExp(`<g class="mark-[a-z]+ role-mark ${cls}"[^>]*>`, 'g');
  for (const m of svg.matchAll(open)) {
    const body = svg.slice(m.index! + m[0].length, svg.indexOf('</g>', m.index!));
    for (const item of body.matchAll(/<(?:path|line) aria-label="([^"]*)"/g)) labels.push(item[1]!.replace(/&amp;/g, '&'));
  }
  return labels;
}

/** How many groups mark layer `name` has (a line layer has one per series and facet cell). */
export function markGroups(svg: string, name: string): number {
  return [...svg.matchAll(new RegExp(`class="mark-[a-z]+ role-mark ${name.replace(/-/g, '_')}_marks"`, 'g'))].length;
}

/**
 * The titles of a faceted figure's panels, in drawing order: vega draws each cell's header as a title item
 * ("Title text 'ID 3'"), and the report's figures have no chart title of their own (the page's h3 is).
 */
export const panelTitles = (svg: string): string[] => [...svg.matchAll(/aria-label="Title text '([^']*)'"/g)].map((m) => m[1]!);

/** "a: 1; b: −2.5; c: 5 %" → { a: '1', b: '-2.5', c: '5 %' }. */
export function fields(label: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of label.split('; ')) {
    const at = part.lastIndexOf(': ');
    out[part.slice(0, at)] = part.slice(at + 2).replace(/\u2212/g, '-');
  }
  return out;
}

export const value = (label: string, field: string): number => {
  const v = fields(label)[field];
  if (v === undefined) throw new Error(`no field '${field}' in aria-label "${label}"`);
  return Number(v);
};
