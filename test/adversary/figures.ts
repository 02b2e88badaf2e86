import { appendFileSync, mkdirSync } from 'node:fs';

/**
 * What each attack got, measured from the response bodies, appended to
 * test-results/adversary-figures.jsonl (BENCHMARKS.md quotes them, with the command).
 */
export function recordFigure(backend: string, attack: string, figures: Record<string, number>): void {
  mkdirSync('test-results', { recursive: true });
  appendFileSync('test-results/adversary-figures.jsonl', JSON.stringify({ at: new Date().toISOString(), backend, attack, ...figures }) + '\n');
}
