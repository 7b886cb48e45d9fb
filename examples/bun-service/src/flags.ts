export const flags: Record<string, boolean> = {
  "new-checkout": false,
  "dark-mode": true,
};
