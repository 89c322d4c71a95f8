export { assessedModels, choiceLetter, formatRunReport, stateName, summarizeRun, widthLetter } from './report.js';
export type { RunSummary } from './report.js';
export { lineChartSvg, renderRunHtml } from './report-html.js';
export type { Series } from './report-html.js';
export { followRun, runConfigFromFlags } from './run-commands.js';
