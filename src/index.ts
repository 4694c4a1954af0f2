/**
 * @module
 * App-level setup, loaded first by the Functions host: HTTP streaming on, so request and
 * response bodies are streams rather than buffers in the invocation message.
 */
import { app } from '@azure/functions';
import { getServices } from './services.js';

app.setup({ enableHttpStream: true });

// Settings are a schema: a bad or missing one stops start-up here, naming the variable.
getServices();
