/** The offline HTML report (docs/visualize.md, "HTML report"). */
export * from './escape.js';
export * from './data.js';
export * from './table.js';
export * from './page.js';
export * from './answer.js';
