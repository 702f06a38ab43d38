import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// Built into ui/dist and embedded in the app by tauri-build; WebKitGTK 2.50 runs it.
export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  build: { target: 'safari16', outDir: 'dist', emptyOutDir: true, sourcemap: false },
  test: { include: ['tests/**/*.test.ts'], environment: 'node' },
});
