export default defineEventHandler(() => ["Pad thai", "Ratatouille", "Pierogi"]);
