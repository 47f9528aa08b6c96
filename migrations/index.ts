// The migrations in the order they apply. `npm run migration:generate` appends to this list.
import { InitialSchema1795314278003 } from './1795314278003-InitialSchema';

export const MIGRATIONS = [InitialSchema1795314278003];
