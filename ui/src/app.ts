import { mount } from 'svelte';
import App from './App.svelte';

/** Draws the app into `target`. */
export function start(target: HTMLElement) {
  return mount(App, { target });
}
