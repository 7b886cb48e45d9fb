const entries = [{ name: "Ada", message: "Lovely site!" }];

export function load() {
  return { entries, renderedAt: new Date().toISOString() };
}
