import { Module } from '@nestjs/common';
import { NacosHttpModule } from '@/nacos/nacos-http.module';
import { PersistentModule } from '@/persistent/persistent.module';
import { CatalogFeed } from './catalog-feed';
import { NamespaceStore } from './namespace.store';
import { ServiceStore } from './service.store';
import { StoredNamespaces } from './stored-namespaces';
import { StoredServices } from './stored-services';
import { V1ServiceController } from './v1-service.controller';
import { V2ServiceController } from './v2-service.controller';
import { V1NamespaceController } from './v1-namespace.controller';
import { V2NamespaceController } from './v2-namespace.controller';
import { V3CatalogController } from './v3-catalog.controller';
import { V3ServiceQueries } from './v3-service-queries';
import { ServiceBrowser } from './service-browser';
import { ServicesAdminController } from './services-admin.controller';

/**
 * Services and namespaces as stored objects (issue 19): kept in the region's database, served from this
 * node's registry, kept current on every node by the CatalogFeed; their Nacos v1/v2 HTTP calls.
 */
@Module({
  imports: [NacosHttpModule, PersistentModule],
  controllers: [
    V1ServiceController,
    V2ServiceController,
    V1NamespaceController,
    V2NamespaceController,
    V3CatalogController,
    ServicesAdminController,
  ],
  providers: [
    CatalogFeed,
    ServiceStore,
    StoredServices,
    NamespaceStore,
    StoredNamespaces,
    V3ServiceQueries,
    ServiceBrowser,
  ],
})
export class NamingCatalogModule {}
