import { NacosRequestError } from '@/nacos/http/nacos-errors';
import { NacosParams } from '@/nacos/http/nacos-params';
import { pageForm, subPage } from './v3-service-queries';

describe('subPage', () => {
  it('should cut a page and tell the totals as PageUtil.subPage, a page past the end empty', () => {
    const items = ['a', 'b', 'c', 'd', 'e'];
    expect(subPage(items, 1, 2)).toEqual({ totalCount: 5, pageNumber: 1, pagesAvailable: 3, pageItems: ['a', 'b'] });
    expect(subPage(items, 3, 2)).toEqual({ totalCount: 5, pageNumber: 3, pagesAvailable: 3, pageItems: ['e'] });
    expect(subPage(items, 4, 2)).toEqual({ totalCount: 5, pageNumber: 4, pagesAvailable: 3, pageItems: [] });
    expect(subPage([], 1, 100)).toEqual({ totalCount: 0, pageNumber: 1, pagesAvailable: 0, pageItems: [] });
  });
});

describe('pageForm', () => {
  const read = (values: Record<string, string>) => pageForm(NacosParams.of(values, true));

  it('should default to page 1 of 100 and cap the size at 500', () => {
    expect(read({})).toEqual({ pageNo: 1, pageSize: 100 });
    expect(read({ pageNo: '3', pageSize: '20' })).toEqual({ pageNo: 3, pageSize: 20 });
    expect(read({ pageSize: '9000' })).toEqual({ pageNo: 1, pageSize: 500 });
  });

  it.each([
    [{ pageNo: '0' }, "Required parameter 'pageNo' should be positive integer, current is 0"],
    [{ pageSize: '-2' }, "Required parameter 'pageSize' should be positive integer, current is -2"],
    [{ pageNo: '1.5' }, "Param 'pageNo' must be an integer."],
    [{ pageSize: '1e3' }, "Param 'pageSize' must be an integer."],
    [{ pageSize: '80 ' }, "Param 'pageSize' must be an integer."],
  ])('should refuse %j with code 20002', (values, message) => {
    let error: unknown;
    try {
      read(values);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(NacosRequestError);
    expect(error).toMatchObject({ code: 20002, status: 400, message });
  });
});
