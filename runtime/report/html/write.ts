/**
 * Writes a report: the HTML page, and each figure as `<id>.svg` in a folder beside it. Each file is written
 * atomically; SVG files of an earlier report that this one no longer draws are removed from the folder, so the
 * folder always holds exactly the page's figures.
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../data/write-atomic.js';
import type { RenderedFigure } from './html.js';

/** The standalone SVG file of a figure: with an XML declaration, so it opens as an image anywhere. */
const svgFile = (svg: string): string => `<?xml version="1.0" encoding="UTF-8"?>\n${svg}\n`;

export function writeReport(htmlPath: string, figuresDir: string, html: string, figures: readonly RenderedFigure[]): string[] {
  mkdirSync(figuresDir, { recursive: true });
  const names = new Set(figures.map((f) => `${f.id}.svg`));
  if (existsSync(figuresDir)) for (const entry of readdirSync(figuresDir)) if (entry.endsWith('.svg') && !names.has(entry)) rmSync(join(figuresDir, entry));
  for (const f of figures) writeFileAtomic(join(figuresDir, `${f.id}.svg`), svgFile(f.svg));
  writeFileAtomic(htmlPath, html);
  return [htmlPath, figuresDir];
}
