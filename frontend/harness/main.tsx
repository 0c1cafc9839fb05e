import { ConfigEditor } from '../src/components/ConfigEditor';
import { QueryEditor } from '../src/components/QueryEditor';
import { createDataSource } from '../testing/createDataSource';
import { installStubServices, mountHarness } from './app';

// The editors straight from the sources.
const { requests } = installStubServices();
mountHarness({ datasource: createDataSource(), QueryEditor, ConfigEditor }, requests);
