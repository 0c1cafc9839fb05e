import { testInstanceSettings } from '../testing/createDataSource';
import { installStubServices, mountHarness } from './app';
import { loadBuiltPlugin } from './builtPlugin';

// dist/module.js through SystemJS, answered by the canned backend.
const { requests } = installStubServices();
loadBuiltPlugin().then(({ DataSourceClass, QueryEditor, ConfigEditor }) =>
  mountHarness({ datasource: new DataSourceClass(testInstanceSettings()), QueryEditor, ConfigEditor }, requests)
);
