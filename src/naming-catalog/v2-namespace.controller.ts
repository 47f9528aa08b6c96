import { Controller, Delete, Get, HttpCode, Post, Put, Req, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { NamingAccessGuard } from '@/nacos/http/naming-access.guard';
import { NacosRequestError, NacosV2ErrorCode } from '@/nacos/http/nacos-errors';
import { NacosParams, isV3Request } from '@/nacos/http/nacos-params';
import { success } from '@/nacos/http/naming-writer';
import type { V2Result } from '@/nacos/http/naming-writer';
import { v2Answer } from './answers';
import { namespaceIdProblem, namespaceTextProblem } from './namespace-form';
import type { NamespaceProblem } from './namespace-form';
import { StoredNamespaces } from './stored-namespaces';
import { PUBLIC_NAMESPACE } from './stored-namespaces';
import type { NamespaceRefusal, NamespaceView } from './stored-namespaces';

/** Public as Nacos 3 lists it: by its id `public` (Nacos 2.x lists it as ""). */
const V3_PUBLIC: NamespaceView = { ...PUBLIC_NAMESPACE, namespace: 'public' };

/**
 * The v2 console's namespaces (`/nacos/v2/console/namespace`, NamespaceControllerV2 with NamespaceForm):
 * `/list`, one by `namespaceId`, create, rename, delete, in the v2 envelope with codes 22000–22002. Nacos 3
 * serves them unchanged in its core admin API (`/nacos/v3/admin/core/namespace`, NamespaceControllerV3),
 * which adds `/check` (V3CatalogController).
 */
@ApiTags('nacos v2')
@UseGuards(NamingAccessGuard)
@Controller(['nacos/v2/console/namespace', 'nacos/v3/admin/core/namespace'])
export class V2NamespaceController {
  constructor(private readonly namespaces: StoredNamespaces) {}

  @Get('list')
  list(@Req() request: FastifyRequest): V2Result<NamespaceView[]> {
    const views = this.namespaces.list();
    return success(isV3Request(request) ? views.map((view) => (view.type === 0 ? V3_PUBLIC : view)) : views);
  }

  @Get()
  async detail(@Req() request: FastifyRequest): Promise<V2Result<NamespaceView>> {
    return success(
      await v2Answer(() => {
        const params = NacosParams.fromRequest(request);
        if (!params.present('namespaceId')) {
          throw params.missing('namespaceId');
        }
        // Sent but blank names public, as NamespaceOperationService.getNamespace reads it.
        const id = params.name('namespaceId', params.optional('namespaceId') ?? '') as string;
        const found = this.namespaces.get(id);
        if (found === undefined) throw notFound(id);
        // Nacos 3 shows public by the id asked with ("public", or blank).
        return isV3Request(request) && found.type === 0 ? { ...found, namespace: id } : found;
      }),
    );
  }

  @Post()
  @HttpCode(200)
  async create(@Req() request: FastifyRequest): Promise<V2Result<boolean>> {
    await v2Answer(async () => {
      const params = NacosParams.fromRequest(request);
      const { id, name, description } = form(params);
      if (id !== '') refuse(namespaceIdProblem(id));
      refuse(namespaceTextProblem(name, description));
      const created = await this.namespaces.create(id, name, description);
      if (created === undefined) throw illegal(`the namespaceId is existed, namespaceId: ${id}`);
    });
    return success(true);
  }

  @Put()
  async rename(@Req() request: FastifyRequest): Promise<V2Result<boolean>> {
    await v2Answer(async () => {
      const { id, name, description } = form(NacosParams.fromRequest(request));
      refuse(namespaceTextProblem(name, description));
      answerRefusal(id, await this.namespaces.rename(id, name, description));
    });
    return success(true);
  }

  @Delete()
  async remove(@Req() request: FastifyRequest): Promise<V2Result<boolean>> {
    await v2Answer(async () => {
      const id = namespaceId(NacosParams.fromRequest(request));
      answerRefusal(id, await this.namespaces.delete(id));
    });
    return success(true);
  }
}

/** NamespaceForm.validate: `namespaceId` and `namespaceName` must be sent (either may be blank). */
function form(params: NacosParams): { id: string; name: string; description: string } {
  for (const name of ['namespaceId', 'namespaceName']) {
    if (!params.present(name)) {
      throw NacosRequestError.badParam(NacosV2ErrorCode.ParameterMissing, `required parameter '${name}' is missing`);
    }
  }
  const id = params.optional('namespaceId') ?? '';
  return {
    id: id === '' ? id : (params.name('namespaceId', id) as string),
    name: params.optional('namespaceName') ?? '',
    description: params.optional('namespaceDesc') ?? '',
  };
}

function namespaceId(params: NacosParams): string {
  return params.name('namespaceId', params.required('namespaceId')) as string;
}

function illegal(message: string): NacosRequestError {
  return NacosRequestError.badParam(NacosV2ErrorCode.IllegalNamespace, message);
}

function notFound(id: string): NacosRequestError {
  return new NacosRequestError(404, NacosV2ErrorCode.NamespaceNotExist, `namespaceId [ ${id} ] not exist`);
}

function refuse(problem: NamespaceProblem | undefined): void {
  if (problem !== undefined) throw illegal(problem.message);
}

function answerRefusal(id: string, refusal: NamespaceRefusal | undefined): void {
  switch (refusal) {
    case undefined:
      return;
    case 'public':
      throw illegal(`namespaceId [ ${id} ] is the public namespace, which can't be changed or deleted`);
    case 'unknown':
      throw notFound(id);
    case 'not-empty':
      throw illegal(`namespaceId [ ${id} ] is not empty, remove its services first`);
  }
}
