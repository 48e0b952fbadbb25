import { bootstrapApplication } from '@angular/platform-browser';
import { App } from './app/app';
import { appConfig } from './app/app.config';

// `?zone` runs the same app on zone.js change detection instead of zoneless (the browser test
// runs both): zone.js is loaded only then, before Angular starts.
const changeDetection = new URLSearchParams(location.search).has('zone') ? 'zone.js' : 'zoneless';
const zone = changeDetection === 'zone.js' ? import('zone.js') : Promise.resolve();

zone
  .then(() => bootstrapApplication(App, appConfig(changeDetection)))
  .catch((error: unknown) => console.error(error));
