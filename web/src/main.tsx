import { render } from 'preact';
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { App } from './app.js';
import { lang } from './i18n.js';

document.documentElement.lang = lang();
render(<App />, document.getElementById('app')!);
