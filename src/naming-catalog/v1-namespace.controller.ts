import { Controller, Delete, Get, HttpCode, Post, Put, Req, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { NamingAccessGuard } from '@/nacos/http/naming-access.guard';
import { NacosRequestError, NacosV2ErrorCode } from '@/nacos/http/nacos-errors';
import { NacosParams } from '@/nacos/http/nacos-params';
import { v1Answer } from './answers';
import { namespaceIdProblem, namespaceTextProblem } from './namespace-form';
import { StoredNamespaces } from './stored-namespaces';
import type { NamespaceView } from './stored-namespaces';

/**
 * The v1 console's namespaces (`/nacos/v1/console/namespaces`, NamespaceController): list, one with
 * `show=all`, `checkNamespaceIdExist=true`, create, rename, delete. Writes answer `true` or `false` as
 * Nacos does (a refused value is `false`, not an error); a missing param is a 400.
 */
@ApiTags('nacos v1')
@UseGuards(NamingAccessGuard)
@Controller('nacos/v1/console/namespaces')
export class V1NamespaceController {
  constructor(private readonly namespaces: StoredNamespaces) {}

  @Get()
  read(
    @Req() request: FastifyRequest,
  ): Promise<{ code: number; message: null; data: NamespaceView[] } | NamespaceView | boolean> {
    return v1Answer(() => {
      const params = NacosParams.fromRequest(request);
      if (params.optional('show') === 'all') {
        // Sent but blank names public, as NamespaceOperationService.getNamespace reads it.
        const id = params.name('namespaceId', presentText(params, 'namespaceId')) as string;
        const found = this.namespaces.get(id);
        if (found === undefined) {
          throw NacosRequestError.badParam(NacosV2ErrorCode.NamespaceNotExist, `namespaceId [ ${id} ] not exist`);
        }
        return found;
      }
      if (params.optional('checkNamespaceIdExist') === 'true') {
        const id = params.name('customNamespaceId', params.optional('customNamespaceId'));
        return id !== undefined && this.namespaces.exists(id);
      }
      return { code: 200, message: null, data: this.namespaces.list() };
    });
  }

  @Post()
  @HttpCode(200)
  create(@Req() request: FastifyRequest): Promise<boolean> {
    return v1Answer(async () => {
      const params = NacosParams.fromRequest(request);
      const id = presentText(params, 'customNamespaceId');
      const name = presentText(params, 'namespaceName');
      const description = params.optional('namespaceDesc') ?? '';
      if (id !== '' && namespaceIdProblem(id) !== undefined) return false;
      if (namespaceTextProblem(name, description) !== undefined) return false;
      return (await this.namespaces.create(id, name, description)) !== undefined;
    });
  }

  @Put()
  rename(@Req() request: FastifyRequest): Promise<boolean> {
    return v1Answer(async () => {
      const params = NacosParams.fromRequest(request);
      const id = params.name('namespace', params.required('namespace')) as string;
      const name = presentText(params, 'namespaceShowName');
      const description = params.optional('namespaceDesc') ?? '';
      if (namespaceTextProblem(name, description) !== undefined) return false;
      return (await this.namespaces.rename(id, name, description)) === undefined;
    });
  }

  @Delete()
  remove(@Req() request: FastifyRequest): Promise<boolean> {
    return v1Answer(async () => {
      const params = NacosParams.fromRequest(request);
      const id = params.name('namespaceId', params.required('namespaceId')) as string;
      return (await this.namespaces.delete(id)) === undefined;
    });
  }
}

/** A `@RequestParam` Nacos requires to be sent, which may be blank: its trimmed value. */
function presentText(params: NacosParams, name: string): string {
  if (!params.present(name)) {
    throw NacosRequestError.badParam(NacosV2ErrorCode.ParameterMissing, `Param '${name}' is required.`);
  }
  return params.optional(name) ?? '';
}
