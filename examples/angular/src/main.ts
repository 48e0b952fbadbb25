import { bootstrapApplication } from '@angular/platform-browser';
import { App } from './app/app';
import { appConfig } from './app/app.config';
import { RelayChat } from './app/relay-chat';

// `?zone` runs the same app on zone.js change detection instead of zoneless (the browser test
// runs both): zone.js is loaded only then, before Angular starts.
const query = new URLSearchParams(location.search);
const changeDetection = query.has('zone') ? 'zone.js' : 'zoneless';
const zone = changeDetection === 'zone.js' ? import('zone.js') : Promise.resolve();
// `?relay`: the relay page (answers produced by rxchat/relay on the server, resumable on reload).
const root = query.has('relay') ? RelayChat : App;

zone
  .then(() => bootstrapApplication(root, appConfig(changeDetection)))
  .catch((error: unknown) => console.error(error));
